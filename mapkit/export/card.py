"""The dataset card (``README.md``) of an hf export: Hub metadata, documentation, a histogram, checks.

The YAML header carries what the Hub reads (license, task_categories, language, size_categories,
pretty_name, tags, configs, dataset_info); the body documents each family with an example, the
counts per type x difficulty and per city, the image layout, how answers were derived and validated,
and the citations. :func:`validate_card` checks a card offline with ``huggingface_hub``'s
``DatasetCard``/``DatasetCardData`` and ``datasets``' own YAML parsers.

Example:
    >>> size_category(4018)
    '1K<n<10K'
    >>> size_category(100_000)
    '100K<n<1M'
"""

from __future__ import annotations

import glob
import io
import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mapkit.errors import ExportError
from mapkit.export.core import CITY_LEVELS, QUESTION_LEVELS, TEST_CITIES, ExportContext, Scan

LICENSE = "mit"
TASK_CATEGORIES = ["visual-question-answering", "image-text-to-text"]
TAGS = ["transit-maps", "metro", "visual-reasoning", "spatial-reasoning", "reasonmap", "rewardmap", "mapkit"]

_SIZE_BINS = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
]

DESCRIPTIONS = {
    "Counting1": "Local counting, multiple choice: how many stops lie strictly between two stations on one "
    "line (answer: the option letter; `answer` is its index 0-3).",
    "Counting2": "Local counting: how many lines pass through a station (`answer` is the count).",
    "Counting3": "Global counting: how many lines the map has, one question per map (`answer` is the count).",
    "TorF1": "True or false: are two stations on the same line? (`answer` 1 = yes, 0 = no).",
    "TorF2": "True or false: is a station on a given line? (`answer` 1 = yes, 0 = no).",
    "planning": "Route planning: one optimal route between two stations, written as legs (line, departure, "
    "arrival); `answer` is null and `answer_text` holds the reference route.",
}

CITATIONS = """```bibtex
@article{feng2025reasonmap,
  title   = {Can MLLMs Guide Me Home? A Benchmark Study on Fine-Grained Visual Reasoning from Transit Maps},
  author  = {Feng, Sicheng and Wang, Song and Ouyang, Shuyi and Kong, Lingdong and Song, Zikai and
             Zhu, Jianke and Wang, Huan and Wang, Xinchao},
  journal = {arXiv preprint arXiv:2505.18675},
  year    = {2025}
}

@article{feng2025rewardmap,
  title   = {RewardMap: Tackling Sparse Rewards in Fine-grained Visual Reasoning via Multi-Stage
             Reinforcement Learning},
  author  = {Feng, Sicheng and Tuo, Kaiwen and Wang, Song and Kong, Lingdong and Zhu, Jianke and Wang, Huan},
  journal = {arXiv preprint arXiv:2510.02240},
  year    = {2025}
}
```"""


def size_category(n: int) -> str:
    """The Hub's ``size_categories`` bin for ``n`` rows."""
    for limit, name in _SIZE_BINS:
        if n < limit:
            return name
    return "n>10M"


COUNTRY_LANGUAGES = {
    "china": ["zh"],
    "hungary": ["hu"],
    "italy": ["it"],
    "malaysia": ["ms"],
    "new_zealand": ["mi"],
    "norway": ["no"],
    "portugal": ["pt"],
    "singapore": ["ms"],
    "switzerland": ["fr"],
}
"""Languages of station names beyond English, by the country of a map (ISO 639-1). ReasonMap keeps names
in the local language: Oslo's `Jernbanetorget`, Budapest's `Deák Ferenc tér`, Lisbon's `Baixa-Chiado`,
KL's and Singapore's Malay place names, Auckland's Māori ones (`Ōtāhuhu`), Geneva's French, Rome's
Italian, Chinese cities' Chinese. Dubai's and the English-speaking cities' names are English."""


def languages(scan: Scan) -> list[str]:
    """English (the prompts) plus the languages of the station names of the maps in the export.

    >>> import pathlib
    >>> from mapkit.export.core import MapRef
    >>> maps = {m: MapRef(m, m.split("/")[0], m.split("/")[1], "x", "")
    ...         for m in ("china/x", "norway/oslo", "nowhere/toyville")}
    >>> languages(Scan(path=pathlib.Path("i"), maps=maps))
    ['en', 'no', 'zh']
    """
    extra = {lang for ref in scan.maps.values() for lang in COUNTRY_LANGUAGES.get(ref.country, [])}
    return ["en", *sorted(extra - {"en"})]


def known_gaps() -> dict[str, str]:
    """city -> what its graph lacks against its map (:func:`mapkit.coverage.known_gaps`).

    >>> known_gaps()["auckland"]
    'no Onehunga Line'
    """
    from mapkit.coverage import known_gaps as coverage_gaps

    return coverage_gaps()


def family_description(name: str) -> str:
    """What a family asks: ReasonMap's six are known; others come from mapkit's registry if present."""
    if name in DESCRIPTIONS:
        return DESCRIPTIONS[name]
    try:
        from mapkit.questions.registry import get_family

        desc = get_family(name).description
        if desc:
            return desc[0].upper() + desc[1:] + ("" if desc.endswith((".", "?", ")")) else ".")
    except Exception:  # noqa: BLE001 - an unregistered type still gets a card entry
        pass
    return f"mapkit question family `{name}`."


# --- histogram -----------------------------------------------------------------------------

_COLORS = {"easy": (102, 187, 106), "middle": (255, 183, 77), "medium": (255, 183, 77), "hard": (229, 57, 53)}


def _font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: fixed-size bitmap font
        return ImageFont.load_default()


def _nice_step(raw: float) -> int:
    """The smallest 1, 2 or 5 x 10^k (an integer) at least ``raw``: readable axis ticks.

    >>> _nice_step(1.5), _nice_step(260), _nice_step(0.2)
    (2, 500, 1)
    """
    k = 1
    while True:
        for m in (1, 2, 5):
            if m * k >= raw:
                return m * k
        k *= 10


def histogram_png(scan: Scan) -> bytes:
    """A two-panel stacked bar chart (PNG bytes): items per type by city and by question difficulty.

    >>> import pathlib
    >>> from collections import Counter
    >>> scan = Scan(path=pathlib.Path("i"), types=["TorF1"], by_type=Counter({"TorF1": 3}),
    ...             by_type_level=Counter({("TorF1", "easy"): 3}))
    >>> histogram_png(scan)[:4]
    b'\x89PNG'
    """
    from PIL import Image, ImageDraw

    types = scan.types
    panels = [
        ("by city difficulty", CITY_LEVELS, scan.by_type_level),
        ("by question difficulty", QUESTION_LEVELS, scan.by_type_qlevel),
    ]
    bar_w, gap, left, top, plot_h = 38, 22, 70, 60, 300
    panel_w = left + len(types) * (bar_w + gap) + 30
    width, height = max(panel_w * 2, 640), top + plot_h + 70
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    title, small = _font(16), _font(12)
    step = _nice_step(max([scan.by_type[t] for t in types] + [1]) / 4)
    peak = step * 4
    for p, (label, levels, counts) in enumerate(panels):
        x0 = p * (width // 2)
        d.text((x0 + left, 12), f"Items per type, {label}", fill="black", font=title)
        base = top + plot_h
        d.line((x0 + left - 4, top, x0 + left - 4, base), fill="black")
        d.line((x0 + left - 4, base, x0 + panel_w - 20, base), fill="black")
        for tick in range(5):
            v = step * tick
            y = base - plot_h * tick / 4
            d.line((x0 + left - 8, y, x0 + left - 4, y), fill="black")
            d.text((x0 + 6, y - 7), f"{v:,.0f}", fill="black", font=small)
        for i, t in enumerate(types):
            x = x0 + left + i * (bar_w + gap)
            y = base
            for lvl in levels:
                n = counts.get((t, lvl), 0)
                if not n:
                    continue
                h = plot_h * n / peak
                d.rectangle((x, y - h, x + bar_w, y), fill=_COLORS[lvl], outline="white")
                y -= h
            d.text((x, y - 16), f"{scan.by_type[t]:,}", fill="black", font=small)
            name = t if len(t) <= 10 else t[:9] + "…"
            d.text((x, base + 6 + (i % 2) * 14), name, fill="black", font=small)
        lx = x0 + left
        for lvl in levels:
            d.rectangle((lx, base + 44, lx + 12, base + 56), fill=_COLORS[lvl])
            d.text((lx + 16, base + 43), lvl, fill="black", font=small)
            lx += 90
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


# --- the card ------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _excerpt(text: str, limit: int = 400) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit] + " …"


def _fence(text: str) -> str:
    return "```text\n" + text.replace("```", "'''") + "\n```"


def card_metadata(
    ctx: ExportContext, *, configs: list[dict[str, Any]], features: Any, map_features: Any,
    shards: Mapping[tuple[str, str], list[str]], maps_files: list[str], pretty_name: str,
) -> Any:  # fmt: skip
    """The ``DatasetCardData`` of the export (dataset_info written by ``datasets`` itself)."""
    from datasets import DatasetInfo, SplitDict, SplitInfo
    from datasets.info import DatasetInfosDict
    from huggingface_hub import DatasetCardData

    from mapkit.export.hf import config_name

    scan = ctx.scan
    data = DatasetCardData(
        license=LICENSE,
        task_categories=TASK_CATEGORIES,
        language=languages(scan),
        size_categories=[size_category(scan.n_items)],
        pretty_name=pretty_name,
        tags=TAGS,
        configs=configs,
    )

    def nbytes(files: list[str]) -> int:
        return sum((ctx.out / f).stat().st_size for f in files)

    infos = {}
    by_config = {config_name(t): t for t in scan.types}
    for c in configs:
        name = c["config_name"]
        if name == "maps":
            size = nbytes(maps_files)
            infos[name] = DatasetInfo(
                features=map_features,
                splits=SplitDict({"train": SplitInfo("train", num_bytes=size, num_examples=len(ctx.maps))}),
                download_size=size,
                dataset_size=size,
            )
            continue
        splits = SplitDict()
        total = 0
        for df in c["data_files"]:
            split = df["split"]
            files = [f for (t, s), fs in sorted(shards.items())
                     if s == split and (name == "all" or t == by_config[name]) for f in fs]  # fmt: skip
            n = sum(scan.by_split_type[(split, t)] for t in (scan.types if name == "all" else [by_config[name]]))
            b = nbytes(files)
            total += b
            splits.add(SplitInfo(split, num_bytes=b, num_examples=n))
        # the item configs share one schema (it is also in every shard's Parquet metadata): stated once, under
        # `all`, so the YAML does not grow by a feature list per type
        infos[name] = DatasetInfo(features=features if name == "all" else None, splits=splits,
                                  download_size=total, dataset_size=total)  # fmt: skip
    DatasetInfosDict(infos).to_dataset_card_data(data)
    return data


INTENDED_USE = [
    "Evaluating multimodal models on fine-grained reading of transit maps: counting stops and lines, checking "
    "line membership, planning routes (ReasonMap-Plus and route planning), and mapkit's further families.",
    "Reinforcement learning with verifiable rewards (RewardMap-style GRPO): every row carries its gold and "
    "`mapkit.scoring` turns a response into a reward, weighted by difficulty.",
    "Supervised fine-tuning on the gold answers (`answer_text`), with the train/test split by city.",
]
OUT_OF_SCOPE = [
    "Real-world journey planning or timetables: the graphs are snapshots of published line diagrams, without "
    "service patterns, schedules, accessibility or closures, and some are known to be incomplete (below).",
    "Geographic questions (distances, directions, where a station is on the ground): the layouts of rendered "
    "maps are computed from the network's topology, and published maps are schematic.",
    "Measuring a model's language ability: prompts are English templates; station names are kept in the "
    "local language as printed on the maps.",
    "Leaderboards comparing with the published ReasonMap numbers without checking that the same items, "
    "splits and scoring were used (the Reproduce section gives them).",
]


def _dataset_ref(ctx: ExportContext) -> str:
    """What the quick start loads: the Hub repo when known, else the folder as the export was told it."""
    ref = ctx.options.get("repo_id") or str(ctx.options.get("final_out") or ctx.out)
    ctx.options["card_ref"] = ref
    return ref


def card_body(ctx: ExportContext, *, pretty_name: str, reproduction: Any = None) -> str:
    """The Markdown documentation under the YAML header."""
    from mapkit import __version__

    scan = ctx.scan
    ref = json.dumps(_dataset_ref(ctx), ensure_ascii=False)
    sources = {}
    for m in ctx.maps.values():
        sources[m.source] = sources.get(m.source, 0) + 1
    src = ", ".join(f"{n} {s}" for s, n in sorted(sources.items())) or "no maps"
    splits = ", ".join(f"{s} {scan.splits[s]:,}" for s in scan.split_names) or "none"
    out = [f"# {pretty_name}", ""]
    out.append(
        f"{scan.n_items:,} visual questions about {len(ctx.maps)} transit maps ({src}), "
        f"{len(scan.types)} question types, splits: {splits}. Every answer is derived from a curated "
        f"metro graph and re-checkable from the row alone. Exported by mapkit {__version__}."
    )
    out += ["", "## Quick start", "", "```python", "from datasets import load_dataset",
            "from mapkit.export.hf import attach_images   # pip install mapkit", "",
            "# one row per map, the PNG inside; joined to the items by map_id",
            f'maps = load_dataset({ref}, "maps", split="train")',
            f"ds = attach_images(load_dataset({ref}), maps)  # config \"all\": every type",
            'row = ds["train"][0]',
            'row["image"]  # PIL image of the row\'s map',
            f'counting = attach_images(load_dataset({ref}, "Counting1", split="test"), maps)',
            "", "# score a model response with mapkit",
            "from mapkit.export.hf import item_from_row",
            "from mapkit.scoring import score",
            'item = item_from_row(row, ds["train"].features)',
            'print(score(item, "... \\\\boxed{" + item["answer_text"] + "}").reward)',
            "```", "",
            "Without mapkit, the same join in plain `datasets`:", "",
            "```python", "import io", "from datasets import Image, load_dataset",
            "from PIL import Image as PILImage", "",
            f'maps = load_dataset({ref}, "maps", split="train").cast_column("image", Image(decode=False))',
            'png = {m: i["bytes"] for m, i in zip(maps["map_id"], maps["image"])}',
            f"ds = load_dataset({ref}).with_transform(lambda b: {{**b, \"image\": [",
            '    PILImage.open(io.BytesIO(png[m])) for m in b["map_id"]]} if "map_id" in b else b)',
            'ds["train"][0]["image"]',
            "```"]  # fmt: skip
    out += ["", "## Layout: each map stored once", ""]
    out.append(
        "Item rows carry no image bytes: they name their map in `map_id` (`<country>/<city>`). Each map's PNG is "
        "stored once, inside `maps/train-*.parquet` (the `maps` config, an `Image` column with the bytes, plus "
        "source, layout, size and sha256). Everything is plain Parquet, so a loaded copy does not depend on "
        "where the files were read from (moving or re-downloading the folder is safe), and the Hub viewer shows "
        'every config. `ds[i]["image"]` comes from the join above (decoded when the row is read; nothing is '
        "copied per row). Configs: `all` (default, every type), one per type, and `maps`, each declared by a "
        "glob over `data/<type>/<split>-*.parquet`."
    )

    out += ["", "## Question types", ""]
    for t in scan.types:
        ex = scan.examples[t]
        out += [f"### {t}", "", family_description(t), "", f"Example ({ex['city']}, id `{ex['id']}`):", ""]
        out.append(_fence(_excerpt(ex["question"])))
        out += ["", f"Gold: `answer` = {ex['answer']!r}, `answer_text`:", ""]
        out += [_fence(_excerpt(ex["answer_text"], 300)), ""]

    out += ["## Counts", "", "Items per type and city difficulty:", ""]
    rows = []
    for t in scan.types:
        cells = [scan.by_type_level.get((t, lvl), 0) for lvl in CITY_LEVELS]
        rows.append([t, *[f"{c:,}" for c in cells], f"{scan.by_type[t]:,}"])
    rows.append(["**total**", *[f"{sum(scan.by_type_level.get((t, lvl), 0) for t in scan.types):,}"
                               for lvl in CITY_LEVELS], f"**{scan.n_items:,}**"])  # fmt: skip
    out += [_table(["type", *CITY_LEVELS, "total"], rows), ""]
    out += ["Items per type and split:", ""]
    rows = [[t, *[f"{scan.by_split_type.get((s, t), 0):,}" for s in scan.split_names]] for t in scan.types]
    out += [_table(["type", *scan.split_names], rows), ""]
    out += ["![Items per type by difficulty](assets/histogram.png)", ""]
    out += ["## Cities", ""]
    rows = []
    for mid, ref_ in sorted(scan.maps.items()):
        m = ctx.maps[mid]
        n_by_split = ", ".join(f"{s} {scan.by_city[(ref_.country, ref_.city, s)]:,}" for s in sorted(ref_.splits))
        rows.append([ref_.city, ref_.country, scan.city_level.get(ref_.city, ""), n_by_split, m.source,
                     LAYOUT_WORDS.get(m.layout, m.layout), f"{m.width}x{m.height}"])  # fmt: skip
    out += [_table(["city", "country", "difficulty", "items", "map", "layout", "pixels"], rows), ""]

    out += ["## Fields", "", _table(["column", "meaning"], [
        ["id", "stable id `<city>:<family>:<seed>:<index>`"],
        ["map_id", "`<country>/<city>`: joins the `maps` config (`image` after `attach_images`)"],
        ["country, city", "as in ReasonMap"],
        ["station_1, station_2", "display names (empty when unused)"],
        ["figure, json", "ReasonMap's relative paths of the map and of the station list"],
        ["question", "the full prompt, instruction prefix included"],
        ["answer", "integer answer of the ReasonMap-Plus types (Counting1: option index; TorF: 1/0); null otherwise"],
        ["answer_text", "the gold exactly as a model must write it inside `\\boxed{}`"],
        ["type", "question type (ClassLabel)"],
        ["difficulty_city", "easy / middle / hard (ClassLabel)"],
        ["city_line_count, city_transfer_count", "the city's line and transfer counts (ReasonMap's definitions)"],
        ["question_transfer_count", "transfers of the reference route (planning), else 0"],
        ["difficulty_question", "easy / medium / hard (ClassLabel)"],
        ["weight", "RewardMap difficulty weight W = W_map + W_question"],
        ["gold", "typed structured truth, one field per type (only the row's own type is set)"],
        ["mapkit", "JSON of mapkit's metadata: family, version, seed, graph hash, station/line ids, options, gold; "
                   "the exact source for scoring"],
    ]), ""]  # fmt: skip

    out += ["## How answers were derived and validated", ""]
    out.append(
        "Each city is a curated networkx graph built from the ReasonMap station lists: canonical station ids "
        "with an alias table (name variants merge, same-name different stations split), loops flagged, "
        "branches split into separate services. Every answer is computed from that graph, never from the raw "
        "lists or their transfer markers: line membership for the true/false and counting types, stops along "
        "one service (both ways round a loop) for Counting1, shortest routes with a transfer penalty for "
        "planning. `mapkit.graph_hash` pins the graph; `mapkit validate` re-derives every answer from it and "
        "fails on any disagreement. `mapkit.scoring.score(item, response)` scores a response from the row "
        "alone (the answer extraction of the ReasonMap evaluation: last `\\boxed{}`), returning format, "
        "correctness, detail and RewardMap's weighted reward."
    )
    out += ["", f"Splits are by city as in ReasonMap (test: {', '.join(sorted(TEST_CITIES))}) unless an item "
            "names its own split; the export refuses splits that share a map or a station pair.", ""]  # fmt: skip
    if ctx.notes:
        out += ["Notes from the export:", ""] + [f"- {n}" for n in ctx.notes] + [""]
    out += reproduce_section(ctx, reproduction)
    out += ["## Intended use", ""] + [f"- {u}" for u in INTENDED_USE] + [""]
    out += ["## Out-of-scope uses", ""] + [f"- {u}" for u in OUT_OF_SCOPE] + [""]
    out += limitations_section(ctx)
    out += ["## Citation", "", "Please cite the papers that defined the tasks:", "", CITATIONS, ""]
    out += ["## License", "",
            "MIT. The station lists and real map images come from the ReasonMap/RewardMap repositories (MIT, "
            "Sicheng Feng); rendered maps and all questions were generated by mapkit.", ""]  # fmt: skip
    return "\n".join(out)


LAYOUT_WORDS = {
    "published": "published map",
    "schematic": "computed (not geographic)",
    "coords": "from station coordinates",
    "unknown": "layout unknown (an image given to the export)",
}


def limitations_section(ctx: ExportContext) -> list[str]:
    """What a user must know before trusting a number from this data: layouts, prompts, incomplete graphs."""
    scan = ctx.scan
    out = ["## Limitations", ""]
    by_layout: dict[str, list[str]] = {}
    for mid, m in sorted(ctx.maps.items()):
        by_layout.setdefault(m.layout, []).append(scan.maps[mid].city)
    total = len(ctx.maps)
    computed = by_layout.get("schematic", [])
    if computed:
        out.append(
            f"- **Computed layouts.** {len(computed)} of {total} maps were rendered by mapkit with a layout computed "
            f"from the network's topology, not from geography ({', '.join(computed)}): positions, directions and "
            "distances on these images mean nothing on the ground, and they look unlike the official maps."
        )
    published = by_layout.get("published", [])
    if published:
        out.append(
            f"- **Published maps.** {len(published)} of {total} maps are ReasonMap's own images "
            f"({', '.join(published)}); the graphs were curated against their station lists, not traced from "
            "the pixels, so a label the image shows differently from the list is possible."
        )
    for layout, cities in sorted(by_layout.items()):
        if layout in ("schematic", "published"):
            continue
        out.append(f"- {len(cities)} of {total} maps: {LAYOUT_WORDS.get(layout, layout)} ({', '.join(cities)}).")
    reasonmap_types = [t for t in scan.types if t in DESCRIPTIONS]
    if reasonmap_types:
        out.append(
            f"- **Prompt grammar is inherited.** The {', '.join(reasonmap_types)} prompts follow the published "
            "ReasonMap/ReasonMap-Plus templates word for word (instruction prefix, `\\boxed{}` answers, option "
            "letters), including their English phrasing and quirks; a model tuned on these templates may not "
            "transfer to other phrasings."
        )
    gaps = known_gaps()
    incomplete = [(scan.maps[mid].city, gaps[scan.maps[mid].city]) for mid in sorted(scan.maps)
                  if scan.maps[mid].city in gaps]  # fmt: skip
    if incomplete:
        out.append(
            "- **Known incomplete graphs.** The graphs of these cities lack line sections that their maps show "
            "(docs/curation.md, map coverage), so a question's answer is "
            "right for the graph but a model reading the image may see more: "
            + "; ".join(f"{c}: {g}" for c, g in incomplete)
            + "."
        )
    out.append(
        "- **Names.** Station names keep the source's spelling, typos included where curation kept an alias "
        "(docs/curation.md); questions print the canonical name."
    )
    return out + [""]


def reproduce_section(ctx: ExportContext, rep: Any) -> list[str]:
    """mapkit version, the generate command and seed (checked by regenerating), data revisions, checksums."""
    from mapkit import __version__

    out = ["## Reproduce", ""]
    items_name = ctx.items_path.name
    if rep is None:
        from mapkit.shardset import items_sha256

        sha, n = items_sha256(ctx.items_path), ctx.scan.n_items
    else:
        sha, n = rep.items_sha256, rep.items
    out.append(f"Made with **mapkit {__version__}** from `{items_name}` ({n:,} items, `{sha}`).")
    out.append("")
    command = rep.command(items_name) if rep is not None else ""
    skipped = rep is not None and not rep.verified and rep.reason.startswith("regeneration was skipped")
    if command and (rep.verified or skipped):
        out += ["```bash", f"pip install mapkit=={__version__}",
                "mapkit data pull   # the pinned data below, sha256-checked", command,
                f"mapkit export {items_name} --to hf --out OUT", "```", ""]  # fmt: skip
        if rep.verified:
            out.append(f"Checked at export: running this `mapkit generate` gave `{items_name}` byte for byte "
                       f"(seed {rep.seed}).")  # fmt: skip
        else:
            out.append(f"Not checked: {rep.reason}. Seed {rep.seed}.")
    else:
        reason = (rep.reason if rep is not None else "") or "regeneration was skipped at export"
        tried = f" (tried `{command}`)" if command else ""
        out.append(f"No single `mapkit generate` command reproduces these items: {reason.rstrip('.')}{tried}. "
                   "The checksums below identify them.")  # fmt: skip
    out.append("")
    out += _data_lines(ctx)
    return out + [""]


def _data_lines(ctx: ExportContext) -> list[str]:
    """Data revisions and one checksum row per map: station list (vs the pinned manifest), graph, image."""
    from mapkit.data import resolve_data_dir, station_files
    from mapkit.datapull import REASONMAP_REPO, REASONMAP_REV, REWARDMAP_REPO, REWARDMAP_REV, load_manifest
    from mapkit.io import file_sha256

    out = [f"Data: station lists of `{REASONMAP_REPO}` at `{REASONMAP_REV}`, map images of `{REWARDMAP_REPO}` at "
           f"`{REWARDMAP_REV}` (`mapkit data pull` fetches exactly these and checks every sha256).", ""]  # fmt: skip
    manifest = load_manifest().files
    try:
        files = station_files(resolve_data_dir(ctx.data_dir))
    except Exception:  # noqa: BLE001 - no data dir: the pinned checksums still stand
        files = {}
    rows = []
    for mid, ref in sorted(ctx.scan.maps.items()):
        rel = f"stations/{ref.country}/{ref.city}.json"
        pinned = manifest.get(rel)
        here = files.get(ref.city)
        if pinned is None:
            station = "not a ReasonMap city"
        elif here is None:
            station = f"`{pinned.sha256[:16]}…` (pinned)"
        else:
            ok = file_sha256(here) == "sha256:" + pinned.sha256
            station = f"`{pinned.sha256[:16]}…` ({'matches the pin' if ok else 'DIFFERS from the pin'})"
        graph = f"`{ref.graph_hash[:23]}…`" if ref.graph_hash else "-"
        rows.append([ref.city, station, graph, f"`{ctx.maps[mid].sha256[:23]}…` ({ctx.maps[mid].source})"])
    out += [_table(["city", "station list sha256", "graph hash", "map image"], rows)]
    out += ["", "Full checksums: `graph_hash` and `sha256` columns of the `maps` config, and each row's `mapkit`."]
    return out


def write_card(
    ctx: ExportContext, *, configs: list[dict[str, Any]], features: Any, map_features: Any,
    shards: Mapping[tuple[str, str], list[str]], maps_files: list[str], pretty_name: str | None = None,
) -> Path:  # fmt: skip
    """Write ``README.md`` and ``assets/histogram.png`` into the export, then validate the card."""
    from huggingface_hub import DatasetCard

    from mapkit.export import reproduce
    from mapkit.io import write_bytes_atomic, write_text_atomic

    name = pretty_name or ctx.options.get("pretty_name") or "mapkit transit-map VQA"
    write_bytes_atomic(ctx.out / "assets" / "histogram.png", histogram_png(ctx.scan))
    data = card_metadata(ctx, configs=configs, features=features, map_features=map_features, shards=shards,
                         maps_files=maps_files, pretty_name=name)  # fmt: skip
    rep = reproduce.derive(ctx.items_path, ctx.maps)
    if ctx.options.get("verify_reproduce", True):
        rep = reproduce.verify(rep, ctx.items_path, ctx.data_dir, workers=int(ctx.options.get("workers") or 1),
                               progress=_stage_progress(ctx, "reproduce"))  # fmt: skip
    elif rep.derived:
        rep.reason = "regeneration was skipped at export (--no-verify-reproduce)"
    card = DatasetCard(f"---\n{data.to_yaml()}\n---\n\n{card_body(ctx, pretty_name=name, reproduction=rep)}")
    path = ctx.out / "README.md"
    write_text_atomic(path, str(card))
    problems = validate_card(ctx.out)
    if problems:
        raise ExportError("The generated dataset card is invalid: " + "; ".join(problems) + ".")
    return path


def _stage_progress(ctx: ExportContext, stage: str) -> Callable[[int, int], None] | None:
    """A ``progress(done, total)`` that reports to the export's ``progress(stage, advance, total)``."""
    report = ctx.progress
    if report is None:
        return None
    last = [0]

    def progress(done: int, total: int) -> None:
        report(stage, done - last[0], total)
        last[0] = done

    return progress


def reproduce_command(card_text: str) -> str | None:
    """The `mapkit generate` command of a card's Reproduce section (None when the card has none).

    >>> reproduce_command("## Reproduce\\n```bash\\nmapkit data pull\\nmapkit generate --seed 1 --out i.jsonl\\n```")
    'mapkit generate --seed 1 --out i.jsonl'
    """
    section = card_text.split("## Reproduce", 1)
    if len(section) < 2:
        return None
    for line in section[1].split("\n## ", 1)[0].splitlines():
        if line.startswith("mapkit generate "):
            return line.strip()
    return None


# --- validation ----------------------------------------------------------------------------

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_SIZES = {name for _, name in _SIZE_BINS} | {"n>10M", "other"}


def validate_card(folder: str | os.PathLike[str]) -> list[str]:
    """Problems with ``folder/README.md`` as a dataset card (empty list: valid). Offline.

    Checks: the YAML parses into ``DatasetCardData``; license, task_categories, language,
    size_categories and pretty_name are set and well-formed; every config has a name and data files
    that exist; one default config; ``dataset_info`` (optional) parses with ``datasets`` and, when
    present, covers every config with the same splits.

    >>> import tempfile
    >>> validate_card(tempfile.mkdtemp())
    ['README.md is missing (write a dataset card)']
    """
    from huggingface_hub import DatasetCard

    root = Path(folder)
    readme = root / "README.md"
    if not readme.is_file():
        return ["README.md is missing (write a dataset card)"]
    try:
        card = DatasetCard.load(readme)
    except Exception as err:  # noqa: BLE001 - any parse failure is a card problem to report
        return [f"README.md YAML does not parse: {err}"]
    data = card.data.to_dict()
    problems: list[str] = []
    for key in ("license", "task_categories", "language", "size_categories", "pretty_name"):
        if not data.get(key):
            problems.append(f"metadata `{key}` is missing")
    for key in ("task_categories", "language", "size_categories", "tags"):
        if key in data and not (isinstance(data[key], list) and all(isinstance(v, str) for v in data[key])):
            problems.append(f"metadata `{key}` must be a list of strings")
    for t in data.get("task_categories") or []:
        if isinstance(t, str) and not _NAME_RE.match(t):
            problems.append(f"task category {t!r} is not a Hub task id")
    for s in data.get("size_categories") or []:
        if s not in _SIZES:
            problems.append(f"size category {s!r} is not one of the Hub's bins")
    configs = data.get("configs") or []
    if not configs:
        problems.append("metadata `configs` is missing")
    names = []
    for c in configs:
        name = c.get("config_name")
        if not name:
            problems.append("a config has no `config_name`")
            continue
        names.append(name)
        data_files = c.get("data_files") or []
        if not data_files:
            problems.append(f"config {name!r} has no data_files")
        for df in data_files:
            paths = df.get("path") if isinstance(df, dict) else df
            for pattern in [paths] if isinstance(paths, str) else paths or []:
                if not glob.glob(str(root / pattern)):
                    problems.append(f"config {name!r}: data file {pattern!r} matches nothing in the folder")
    if len(set(names)) != len(names):
        problems.append("config names repeat")
    if sum(1 for c in configs if c.get("default")) > 1:
        problems.append("more than one config is marked default")
    try:
        from datasets.info import DatasetInfosDict
        from datasets.utils.metadata import MetadataConfigs

        MetadataConfigs.from_dataset_card_data(card.data)
        infos = DatasetInfosDict.from_dataset_card_data(card.data)
    except Exception as err:  # noqa: BLE001
        problems.append(f"configs/dataset_info do not parse with datasets: {err}")
        return problems
    for c in configs:
        name = c.get("config_name")
        if not infos:  # dataset_info is optional; when present it must describe every config
            break
        if name and name not in infos:
            problems.append(f"dataset_info has no entry for config {name!r}")
        elif name:
            want = {df["split"] for df in c.get("data_files", []) if isinstance(df, dict)}
            have = set(infos[name].splits or {})
            if want and have and want != have:
                problems.append(f"config {name!r}: dataset_info splits {sorted(have)} != data_files {sorted(want)}")
    return problems
