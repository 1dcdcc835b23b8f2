"""`python -m assistant` is the `assistant` command."""

from assistant.cli import main

if __name__ == "__main__":  # not when a worker process (`assistant.worker`) imports it as its parent's main
    main()
