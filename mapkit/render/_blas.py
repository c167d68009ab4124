"""Run numpy's linear algebra on one thread while laying out a map.

The layout's matrices are small (a few hundred stations): OpenBLAS threads cost more to
wake than they save, and on a busy machine (tests under ``pytest -n 2``) they spin against
each other, making an eigen-decomposition 10x slower. One thread is also what makes the
floating-point summation order, and so the layout, the same on machines with different
core counts. This is the part of ``threadpoolctl`` that mapkit needs, for the OpenBLAS that
numpy wheels bundle; anywhere it cannot find OpenBLAS it does nothing.

Example:
    >>> import numpy as np
    >>> with single_threaded_blas():
    ...     float(np.eye(2).sum())
    2.0
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import glob
import os
from collections.abc import Callable, Iterator

_GET = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads")
_SET = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads64_", "openblas_set_num_threads")


@functools.cache
def _openblas() -> tuple[Callable[[], int], Callable[[int], None]] | None:
    import numpy

    base = os.path.dirname(numpy.__file__)
    patterns = [os.path.join(base, "..", "numpy.libs", "*openblas*"), os.path.join(base, ".libs", "*openblas*")]
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            try:
                lib = ctypes.CDLL(path)  # already loaded by numpy: this returns the same library
            except OSError:
                continue
            for get_name, set_name in zip(_GET, _SET):
                get = getattr(lib, get_name, None)
                set_ = getattr(lib, set_name, None)
                if get is not None and set_ is not None:
                    get.restype = ctypes.c_int
                    set_.argtypes = [ctypes.c_int]
                    return get, set_
    return None


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Limit OpenBLAS to one thread inside the block; restore the previous count after."""
    api = _openblas()
    if api is None:
        yield
        return
    get, set_ = api
    before = get()
    set_(1)
    try:
        yield
    finally:
        set_(before)
