"""The garbage collector while a site is built, set in one place. A build makes a few hundred
thousand objects (the site, its routes, keys and manifests) and keeps them to its end; Python's
default thresholds would scan them again and again (a third of a rebuild's time)."""
from __future__ import annotations

import contextlib
import gc

THRESHOLDS = (100_000, 50, 100)


def long_lived() -> None:
    """For a process that builds: collections of the young objects far apart."""
    gc.set_threshold(*THRESHOLDS)


@contextlib.contextmanager
def kept():
    """What is made within is kept to the end of the build: no collection scans it while it is
    made, and later collections leave it out (frozen) until `released`."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


@contextlib.contextmanager
def shared():
    """While forked workers render: the parent's objects frozen, so that the workers' collections
    leave the memory they share with it untouched."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextlib.contextmanager
def released():
    """A build: when it ends, every object it kept is collectable again."""
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()
