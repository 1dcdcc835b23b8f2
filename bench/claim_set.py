"""The claim checker on the assistant's own answers, labelled by reading: claims no generator made.

    python bench/claim_set.py extract REPORT.json OUT.jsonl      # each cited claim with its quotes, to label
    python bench/claim_set.py score LABELS.jsonl REPORT.json...  # each report's `verified` against the labels
    python bench/claim_set.py rewordings [--rules-only]          # the checker on claims written by hand

LABELS (`bench/claim_set.jsonl`) holds one line per claim: the question's id, the claim as the
answer wrote it (markers removed), and `stated`: whether the sentences quoted for it state it,
decided by reading them and the article (not by any model or rule of ours). No quotes or
questions are kept here (`extract` reads them from a report), only what the answers wrote, which
sometimes repeats a sentence. The questions of one third (by a hash of
their id) are kept aside from any tuning of the checker; both parts are scored.

A claim is verified in a report when it cites a passage and is not among its answer's
unsupported sentences. Prints, per report and part, the claims found, precision and recall of
`verified` against `stated`.

REWORDINGS (`bench/claim_rewordings.jsonl`): sentences of the dev articles (by article id and
offsets) each with a claim written by hand: a rewording that keeps its meaning (`stated`), or
one that changes it in words unlike the sentence's (not). Each is cited to the passage holding
its sentence among three others, as `bench/claims.py` does, and checked (with the verifier, or
`--rules-only`); parts by article, as there.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from assistant.answering.citations import claims

REWORDINGS = Path(__file__).with_name("claim_rewordings.jsonl")


def part_of(question_id: str) -> str:
    return "aside" if int(hashlib.sha1(question_id.encode()).hexdigest(), 16) % 3 == 0 else "dev"


def records(report: Path) -> list[dict]:
    """The assistant's answers in an `assistant eval --report` file (its first pipeline's)."""
    pipelines = json.loads(report.read_text())["pipelines"]
    return pipelines.get("assistant", next(iter(pipelines.values())))["records"]


def cited_claims(record: dict) -> list[tuple[str, tuple[int, ...], bool]]:
    """(claim, cited passages, verified) for each claim of an answered question that cites something."""
    if record.get("refused") or not record.get("answer"):
        return []
    unsupported = set(record.get("unsupported_sentences", []))
    return [(c.text, c.cites, c.text not in unsupported) for c in claims(record["answer"]) if c.cites]


def extract(report: Path, out: Path) -> None:
    with out.open("w") as sink:
        for record in records(report):
            quotes = {c["n"]: c["quotes"] for c in record.get("citations", [])}
            for claim, cites, verified in cited_claims(record):
                row = {"id": record["id"], "question": record["question"], "claim": claim, "cites": cites}
                row |= {"quotes": {n: quotes.get(n, []) for n in cites}, "verified": verified, "stated": None}
                sink.write(json.dumps(row) + "\n")


def score(labels: Path, reports: list[Path]) -> dict[str, dict[str, dict[str, float | int]]]:
    rows = [json.loads(line) for line in labels.open()]
    stated = {(r["id"], r["claim"]): bool(r["stated"]) for r in rows if r["stated"] is not None}
    result = {}
    for report in reports:
        verdicts = {
            (record["id"], claim): verified for record in records(report) for claim, _, verified in cited_claims(record)
        }
        rows = {}
        for part in ("dev", "aside", "all"):
            keys = [k for k in stated if k in verdicts and part in ("all", part_of(k[0]))]
            tp = sum(verdicts[k] and stated[k] for k in keys)
            fp = sum(verdicts[k] and not stated[k] for k in keys)
            true = sum(stated[k] for k in keys)
            rows[part] = {
                "claims": len(keys),
                "stated": true,
                "verified": tp + fp,
                "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
                "recall": round(tp / true, 3) if true else 0.0,
            }
        result[report.name] = rows
    return result


def rewordings(rules_only: bool) -> dict[str, dict[str, float | int]]:
    from claims import Case, Generator, articles, judge
    from claims import part_of as article_part

    from assistant.judges import claim_verifier

    generator = Generator(articles(), seed=7)
    verifier = None if rules_only else claim_verifier()
    outcomes = []
    for row in map(json.loads, REWORDINGS.open()):
        chunk = next(c for c in generator.chunks[row["doc_id"]] if c.char_start <= row["char_start"]
                     and row["char_end"] <= c.char_end)  # fmt: skip
        passages, cited = generator.prompt(row["doc_id"], chunk)
        case = Case("reworded", article_part(row["doc_id"]), row["claim"], passages, cited, cited)
        outcomes.append((article_part(row["doc_id"]), row["stated"], judge(case, verifier).verified))
    result = {}
    for part in ("dev", "aside", "all"):
        rows = [(stated, verified) for p, stated, verified in outcomes if part in ("all", p)]
        tp = sum(s and v for s, v in rows)
        verified = sum(v for _, v in rows)
        stated = sum(s for s, _ in rows)
        result[part] = {"claims": len(rows), "stated": stated, "verified": verified,
                        "precision": round(tp / verified, 3) if verified else 0.0,
                        "recall": round(tp / stated, 3) if stated else 0.0}  # fmt: skip
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    extracting = commands.add_parser("extract")
    extracting.add_argument("report", type=Path)
    extracting.add_argument("out", type=Path)
    scoring = commands.add_parser("score")
    scoring.add_argument("labels", type=Path)
    scoring.add_argument("reports", type=Path, nargs="+")
    commands.add_parser("rewordings").add_argument("--rules-only", action="store_true")
    args = parser.parse_args()
    if args.command == "extract":
        extract(args.report, args.out)
    elif args.command == "rewordings":
        print(json.dumps(rewordings(args.rules_only), indent=1))
    else:
        print(json.dumps(score(args.labels, args.reports), indent=1))


if __name__ == "__main__":
    main()
