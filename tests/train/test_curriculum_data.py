"""The curriculum (stage order, shuffling, gates, checkpoint state) and the data loading (image bounds, exports)."""

from __future__ import annotations

import doctest
import importlib

import pytest
from mapkit.train.config import REWARDMAP_CURRICULUM, Stage, TrainConfig
from mapkit.train.curriculum import Curriculum

from mapkit.errors import ConfigError

ITEMS = [
    {"type": t} for t in ["planning", "TorF1", "Counting1", "Counting2", "TorF2", "Counting3", "TorF1", "lines_at"]
]


def test_stages_follow_rewardmap_order_and_shuffle_within_a_stage():
    c = Curriculum(ITEMS, REWARDMAP_CURRICULUM, seed=0)
    picks = c.take(len(ITEMS))
    types = [ITEMS[i]["type"] for i, _ in picks]
    assert [s for _, s in picks] == ["true-false"] * 3 + ["counting-2-3"] * 2 + ["counting-1", "lookup", "planning"]
    assert sorted(types[:3]) == ["TorF1", "TorF1", "TorF2"]
    assert sorted(types[3:5]) == ["Counting2", "Counting3"]
    assert types[5:] == ["Counting1", "lines_at", "planning"]
    # another seed shuffles the stage differently; the same seed is the same order
    orders = {tuple(i for i, _ in Curriculum(ITEMS, REWARDMAP_CURRICULUM, seed=s).take(3)) for s in range(8)}
    assert len(orders) > 1
    assert Curriculum(ITEMS, REWARDMAP_CURRICULUM, seed=0).take(8) == picks
    # after the last stage, the next round starts again from the first
    assert c.take(1)[0][1] == "true-false" and c.round == 1


def test_every_registered_family_has_a_stage():
    from mapkit.questions import families

    staged = {t for s in REWARDMAP_CURRICULUM for t in s.types}
    assert set(families(with_render=True)) <= staged


def test_a_gated_stage_repeats_until_the_reward_reaches_the_threshold():
    stages = [Stage("tf", ("TorF1",), min_reward=0.5, max_passes=5), Stage("plan", ("planning",))]
    items = [{"type": "TorF1"}, {"type": "TorF1"}, {"type": "planning"}]
    c = Curriculum(items, stages, seed=0, gate_window=2)
    assert [s for _, s in c.take(2)] == ["tf", "tf"]
    c.record(0.1)
    assert [s for _, s in c.take(2)] == ["tf", "tf"] and c.pass_ == 1  # below the gate: another pass
    c.record(0.9)
    c.record(0.8)
    assert c.take(1)[0][1] == "plan"
    # max_passes bounds the repeats even if the reward never comes
    c2 = Curriculum(items, [Stage("tf", ("TorF1",), min_reward=1.0, max_passes=2), stages[1]], seed=0)
    assert [s for _, s in c2.take(5)] == ["tf"] * 4 + ["plan"]


def test_curriculum_state_round_trips_mid_stage():
    a = Curriculum(ITEMS, REWARDMAP_CURRICULUM, seed=3)
    a.take(4)
    a.record(0.25)
    b = Curriculum(ITEMS, REWARDMAP_CURRICULUM, seed=3)
    b.load_state(a.state())
    assert a.take(9) == b.take(9)


def test_unplaced_types_and_bad_configs_are_clear_errors():
    with pytest.raises(ConfigError, match="No curriculum stage takes item type"):
        Curriculum([{"type": "mystery"}], REWARDMAP_CURRICULUM, seed=0)
    with pytest.raises(ConfigError, match="group_size"):
        TrainConfig(items="x", group_size=1)
    with pytest.raises(ConfigError, match="Unknown training config key"):
        TrainConfig.from_dict({"items": "x", "learning_rate": 1})
    with pytest.raises(ConfigError, match="not a number"):
        TrainConfig.from_dict({"items": "x", "lr": "fast"})
    cfg = TrainConfig.from_dict({"items": "x", "lr": "2e-3", "curriculum": [{"name": "a", "types": ["TorF1"]}]})
    assert cfg.lr == 0.002 and cfg.curriculum == (Stage("a", ("TorF1",)),)


@pytest.mark.parametrize("module", ["config", "curriculum", "grpo", "metrics", "data", "rollout", "__init__"])
def test_doctests(module):
    pytest.importorskip("torch")
    name = "mapkit.train" if module == "__init__" else f"mapkit.train.{module}"
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_images_are_bounded_before_the_processor_sees_them(examples):
    from mapkit.train.data import bound_image
    from PIL import Image

    assert all(e.image.width * e.image.height <= 112 * 112 for e in examples)
    huge = Image.new("RGB", (12000, 9000))  # the size of a real ReasonMap map
    small = bound_image(huge, min_pixels=3136, max_pixels=112 * 112)
    assert small.width * small.height <= 112 * 112 and abs(small.width / small.height - 12000 / 9000) < 0.05
    tiny = bound_image(Image.new("RGB", (10, 20)), min_pixels=3136, max_pixels=12544)
    assert tiny.width * tiny.height >= 3136


def test_examples_from_items_and_from_the_trl_export_agree(demo_items, examples, tmp_path):
    pytest.importorskip("datasets")
    from mapkit.train.data import load_examples

    from mapkit.export import export_items

    export_items(demo_items, to="trl", out=tmp_path / "trl")
    exported = load_examples(tmp_path / "trl", min_pixels=56 * 56, max_pixels=112 * 112)
    assert sorted(e.id for e in exported) == sorted(e.id for e in examples)
    by_id = {e.id: e for e in examples}
    for e in exported[:5]:
        assert e.item == by_id[e.id].item
        assert e.messages == by_id[e.id].messages
        assert e.image.size == by_id[e.id].image.size


def test_missing_source_is_a_clear_error(tmp_path):
    from mapkit.train.data import load_examples

    from mapkit.errors import TrainingError

    with pytest.raises(TrainingError, match="no such items file"):
        load_examples(tmp_path / "nope.jsonl", min_pixels=1, max_pixels=10)


def test_the_vllm_backend_is_optional_and_says_how_to_get_it():
    pytest.importorskip("torch")
    import importlib.util

    from mapkit.train.rollout import make_backend

    from mapkit.errors import TrainingError

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vllm is installed here")
    with pytest.raises(TrainingError, match="needs the vllm package"):
        make_backend("vllm", None, None, model_path="some/folder")
    with pytest.raises(TrainingError, match="Unknown rollout backend"):
        make_backend("sglang", None, None)
