"""`rasa run`, as `bot run` starts it: without jax, and with channels/runtime.py's tuning from the start.

TensorFlow 2.12 imports jax whenever it is installed (only for converting models to TF Lite, which we never
do), and pip installs it with TensorFlow: 100 MB of the server's memory. Marking it missing makes that
optional import fail and skip it.
"""
import sys

sys.modules["jax"] = None  # type: ignore[assignment]

from rasa.__main__ import main  # noqa: E402

import channels.runtime  # noqa: E402,F401  (before Rasa loads the model)

if __name__ == "__main__":
    sys.argv[0] = "rasa"
    main()
