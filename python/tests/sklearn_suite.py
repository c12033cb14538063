#!/usr/bin/python3
"""scikit-learn's own NMF tests against nmfkit: copies the installed
sklearn/decomposition/tests/test_nmf.py, points its imports of NMF, MiniBatchNMF,
non_negative_factorization and the _nmf module at nmfkit, and runs it with pytest. Every test must
pass; docs/python.md lists what differs by design.

Usage: sklearn_suite.py [pytest arguments]   (CTest runs it with PYTHONPATH at the built package)
"""
import os
import re
import sys
import tempfile

import pytest
import sklearn.decomposition.tests as sklearn_tests

REWRITES = [
    ("from sklearn.decomposition import NMF, MiniBatchNMF",
     "from nmfkit import NMF, MiniBatchNMF"),
    ("from sklearn.decomposition import non_negative_factorization",
     "from nmfkit import non_negative_factorization"),
    ("from sklearn.decomposition import _nmf as nmf", "from nmfkit import _nmf as nmf"),
]


def rewritten(source):
    for old, new in REWRITES:
        if source.count(old) != 1:
            sys.exit(f"sklearn_suite: expected one line '{old}' in test_nmf.py")
        source = source.replace(old, new)
    # Nothing of scikit-learn's NMF may be left in use.
    leftover = re.findall(r"sklearn\.decomposition[^\n]*", source)
    if leftover:
        sys.exit(f"sklearn_suite: test_nmf.py still imports {leftover}")
    return source


def main():
    original = os.path.join(os.path.dirname(sklearn_tests.__file__), "test_nmf.py")
    with open(original, encoding="utf-8") as f:
        source = rewritten(f.read())
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "test_nmf_nmfkit.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(source)
        args = [path, "-q", "-p", "no:cacheprovider"]
        return pytest.main(args + sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
