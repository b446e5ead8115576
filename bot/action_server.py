"""rasa-sdk's action server, on 127.0.0.1 and without TensorFlow.

spaCy (through thinc) imports TensorFlow whenever it is installed, and Rasa installs it: that costs
about 500 MB and seconds of start-up in a process that never uses it (see docs/benchmarks.md).
Marking the module missing makes thinc's optional import fail and skip it.
"""
import os
import sys

sys.modules["tensorflow"] = None  # type: ignore[assignment]
os.environ.setdefault("SANIC_HOST", "127.0.0.1")  # no authentication: loopback only

from rasa_sdk.__main__ import main  # noqa: E402

if __name__ == "__main__":
    main()
