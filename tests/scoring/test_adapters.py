"""The TRL and verl adapters, called exactly as the frameworks call them (no framework installed).

TRL (GRPOTrainer._calculate_rewards, v1.x): every dataset column but ``prompt`` is repeated per
completion and passed as a keyword argument, plus ``trainer_state``, ``log_extra``, ``log_metric``::

    keys = [key for key in inputs[0] if key not in ["prompt", "completion", "completion_ids"]]
    reward_kwargs = {key: [example[key] for example in inputs] for key in keys}
    output = reward_func(prompts=prompts, completions=completions, completion_ids=ids, **reward_kwargs)

verl (NaiveRewardManager): ``compute_score(data_source=..., solution_str=..., ground_truth=...,
extra_info=...)``; a dict result's ``score`` is the reward and its other keys are logged per sample.
"""

from __future__ import annotations

import json
from collections import defaultdict

import datasets
import pytest

from mapkit.errors import ItemError
from mapkit.questions.registry import families
from mapkit.scoring import make_trl_reward, score, trl_reward
from mapkit.scoring.trl import completion_text, items_from_columns
from mapkit.scoring.verl import compute_score, item_from_ground_truth

from .test_routes import planning_item
from .test_score import TORF, torf_item


def _trl_call(reward_func, inputs, completions):
    """TRL's own call, transcribed."""
    prompts = [x["prompt"] for x in inputs]
    keys = [key for key in inputs[0] if key not in ["prompt", "completion", "completion_ids"]]
    reward_kwargs = {key: [example[key] for example in inputs] for key in keys}
    extra: dict[str, list] = defaultdict(list)
    metrics: dict[str, list] = defaultdict(list)
    reward_kwargs["trainer_state"] = object()
    reward_kwargs["log_extra"] = lambda column, values: extra[column].extend(values)
    reward_kwargs["log_metric"] = lambda name, value: metrics[name].append(value)
    ids = [[1, 2, 3] for _ in completions]
    out = reward_func(prompts=prompts, completions=completions, completion_ids=ids, **reward_kwargs)
    return out, extra, metrics


def _planning_rows(toy, tmp_path):
    """A planning row whose city_ref is the toy city saved as a city file: the graph really loads."""
    from mapkit.answers.routes import clear_graph_cache
    from mapkit.sources.native import save_city_file

    clear_graph_cache()
    city = tmp_path / "toy.json"
    save_city_file(toy, city)
    return planning_item(toy, "a", "g", city_ref=str(city))


def test_trl_item_column_conversational(toy, tmp_path):
    item = _planning_rows(toy, tmp_path)

    def row():  # a fresh row each time, as a datasets table hands out (new str objects)
        return {
            "prompt": [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": item["question"]}]}],
            "image": "<PIL image>",
            "item": json.dumps(item, ensure_ascii=False),
        }

    good = [{"role": "assistant", "content": "\\boxed{" + item["answer_text"] + "}"}]
    bad = [{"role": "assistant", "content": [{"type": "text", "text": r"\boxed{no idea}"}]}]
    inputs = [row(), row()]  # TRL repeats the row once per generation
    assert inputs[0]["item"] is not inputs[1]["item"]
    rewards, extra, metrics = _trl_call(trl_reward, inputs, [good, bad])
    assert rewards == [pytest.approx(1.5 * 2.5), 0.0]
    assert rewards[0] == score(item, good[0]["content"]).reward
    assert extra["mapkit_correct"] == [True, False]
    assert set(metrics) == {"mapkit/format", "mapkit/correct", "mapkit/detail"}
    assert metrics["mapkit/correct"] == [0.5]


def test_trl_canonical_columns_and_plain_strings(toy, tmp_path):
    item = _planning_rows(toy, tmp_path)
    row = {k: v for k, v in item.items() if k != "mapkit"}
    row["mapkit"] = json.dumps(item["mapkit"])  # a nested dict stored as JSON text survives Arrow
    row["prompt"] = item["question"]
    rewards, _, _ = _trl_call(trl_reward, [row], ["\\boxed{" + item["answer_text"] + "}"])
    assert rewards == [pytest.approx(3.75)]


def test_trl_bound_options():
    item = torf_item(weight=1.0)
    reward = make_trl_reward(family=TORF)
    rewards, _, _ = _trl_call(reward, [{"prompt": "p", "item": item}] * 3, [r"\boxed{yes}", "yes", None])
    assert rewards == [2.5, 0.0, 0.0]
    assert reward.__name__ == "mapkit_reward"


def test_trl_without_item_columns_says_what_to_pass():
    with pytest.raises(ItemError, match="item"):
        trl_reward(prompts=["p"], completions=["x"], answer=["1"])
    with pytest.raises(ItemError):
        trl_reward(prompts=["p"], completions=["x", "y"], item=["{}"])


def test_completion_text_shapes():
    assert completion_text("abc") == "abc"
    assert completion_text([{"role": "assistant", "content": "x"}]) == "x"
    convo = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a1"}]
    assert completion_text(convo) == "a1"
    assert completion_text({"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}) == "ab"
    assert completion_text(None) == ""


def test_items_from_columns_parses_each_item_string_once(monkeypatch):
    import mapkit.scoring.trl as trl

    parsed = []
    real = trl._as_item
    monkeypatch.setattr(trl, "_as_item", lambda v: parsed.append(v) or real(v))
    trl._parsed_item.cache_clear()

    def fresh():  # equal strings, distinct objects: what rows of a datasets table carry
        return json.dumps({"type": "TorF1", "id": "cache-test"})

    a, b = fresh(), fresh()
    assert a is not b
    items = items_from_columns(2, {"item": [a, b]})
    assert items[0] is items[1]
    assert items_from_columns(1, {"item": [fresh()]})[0] is items[0]  # the next step hits the cache too
    assert len(parsed) == 1
    trl._parsed_item.cache_clear()


def test_verl_parses_each_ground_truth_once(monkeypatch):
    import mapkit.scoring.verl as verl

    verl._parsed_item.cache_clear()
    gt = json.dumps(torf_item(weight=1.0))
    for _ in range(3):
        assert compute_score("mapkit", r"\boxed{yes}", "".join(list(gt)), family=TORF)["score"] == 2.5
    info = verl._parsed_item.cache_info()
    assert info.misses == 1 and info.hits == 2
    verl._parsed_item.cache_clear()


def test_verl_compute_score_as_verl_calls_it(toy, tmp_path):
    item = _planning_rows(toy, tmp_path)
    ground_truth = json.dumps(item, ensure_ascii=False)
    out = compute_score(
        data_source="mapkit",
        solution_str="\\boxed{" + item["answer_text"] + "}",
        ground_truth=ground_truth,
        extra_info={"index": 0, "split": "train"},
    )
    assert out == {"score": 3.75, "acc": 1.0, "format": 1.0, "detail": 1.0, "weight": 1.5, "optimal": 1.0}
    # the same keys for every sample, all numbers (verl collects them into per-key lists)
    wrong = compute_score(data_source="mapkit", solution_str="nothing", ground_truth=ground_truth, extra_info=None)
    assert set(wrong) == set(out) and all(isinstance(v, float) for v in wrong.values())
    assert wrong["score"] == 0.0


def test_verl_item_in_extra_info_and_passthrough():
    item = torf_item(weight=1.0)
    out = compute_score("mapkit", r"\boxed{yes}", "yes", extra_info={"item": json.dumps(item)}, family=TORF, foo=1)
    assert out["score"] == 2.5 and out["optimal"] == -1.0
    assert item_from_ground_truth(item) == item
    with pytest.raises(ItemError):
        item_from_ground_truth("yes")


def test_trl_with_a_real_datasets_table():
    """Rows of every family in one Arrow table: the `item` JSON column survives where a nested struct cannot."""
    from mapkit.scoring import max_reward
    from mapkit.sources import load_city

    from .test_oracle import oracle_response

    g = load_city("demo")
    items = [it for fam in families().values() for i in range(2) if (it := fam.generate(g, 5, i, fam.config_cls()))]
    with pytest.raises(Exception, match="mix"):  # why the export carries JSON: gold differs per family
        datasets.Dataset.from_list(items)
    ds = datasets.Dataset.from_list(
        [{"prompt": it["question"], "image": it["figure"], "item": json.dumps(it, ensure_ascii=False)} for it in items]
    )
    inputs = [ds[i] for i in range(len(ds))]
    completions = [[{"role": "assistant", "content": oracle_response(it)}] for it in items]
    rewards, extra, _ = _trl_call(trl_reward, inputs, completions)
    assert rewards == [pytest.approx(max_reward(it["weight"])) for it in items]
    assert all(extra["mapkit_correct"])
