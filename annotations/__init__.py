"""Label Studio round trips: human review of items, and station positions read off real maps.

``mapkit annotate push | pull | status | apply`` (docs/annotate.md). Modules:

* :mod:`~mapkit.annotations.configs` - the two labeling configs (item review, station localisation);
* :mod:`~mapkit.annotations.client` - URL/key resolution and the SDK calls (the SDK loads only here);
* :mod:`~mapkit.annotations.items` - rows of either format and the graph's truth (``mapkit validate``);
* :mod:`~mapkit.annotations.push` - items or a real map into a project, idempotently;
* :mod:`~mapkit.annotations.review` - annotations checked against the graph, resolution, agreement;
* :mod:`~mapkit.annotations.pull` - snapshot export -> reviewed JSONL (or a position overlay);
* :mod:`~mapkit.annotations.localisation` - keypoints -> overlay -> manifest -> questions on real maps;
* :mod:`~mapkit.annotations.server` - a local Label Studio in its own virtualenv (tests, benchmark).

Nothing here is imported by the core of mapkit; the SDK is needed only to talk to a server
(``pip install 'mapkit[review]'``).

Example:
    >>> from mapkit.annotations.configs import answer_kind
    >>> answer_kind("Counting1")
    'choice'
"""
