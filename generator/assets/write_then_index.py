"""Run by a Python of its own before it becomes Pagefind (search.py starts it with Pagefind's
command after its path): writes a shard's documents, given pickled on its input as (folder,
[(path, bytes), ...]), into a new folder in sorted order, then runs the command in its place.

Pagefind numbers pages in the order it lists folders, which is the order their entries were made
(on tmpfs; ext4 lists large folders by a hash of the names), while the page workers write
documents in whatever order they finish them: so that two builds give the same index, byte for
byte. (A process of its own, on the other core: in a thread of the build's, writing 2,000
documents took 0.6 s of the lock every thread of a Python process needs.) It is run as a file
(`python -I -S write_then_index.py`), importing nothing of the generator's.
"""
import os
import pickle
import sys


def main() -> None:
    folder, documents = pickle.load(sys.stdin.buffer)       # (from the build that started it)
    try:
        for rel, data in documents:
            path = os.path.join(folder, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
    except OSError as e:
        sys.exit(f"cannot write the search documents: {e.filename or folder}: {e.strerror}")
    try:
        os.execv(sys.argv[1], sys.argv[1:])
    except OSError as e:
        sys.exit(f"cannot run {sys.argv[1]}: {e.strerror}")


if __name__ == "__main__":
    main()
