"""Training pairs for the answerability judge: (question, sentence) -> does the sentence state what it asks?

    python training/answer_data.py OUT.jsonl [--top-k 20] [--questions training/data/short_questions.jsonl]

Made only from what a model may learn from: the 389 questions of `train_questions.jsonl`, over
an index of the 409 articles of `train_articles.txt` (their gold evidence lies there), built with
the assistant's own chunking, embedder and retrieval. A tenth of the questions (by a hash of their
id) is the validation split.

The evidence is what the judge reads at run time: `evidence_text` of one sentence (the article's
outlet, date and title, then the sentence).

- true: each sentence of a retrieved passage that is (part of) a gold fact ("gold"), and each gold
  fact retrieval missed ("gold_missed").
- false: the other sentences of the retrieved passages: of the gold articles ("gold_article",
  on the very topic), of the passages ranked first ("retrieved_top"), and a sample of the rest
  ("retrieved"). A question whose articles lack the answer only ever sees sentences like these.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections import Counter
from pathlib import Path

from assistant.answering.injection import safe_sentences
from assistant.answering.retrieval import retrieve
from assistant.backends.embeddings import make_embedder
from assistant.evaluation.metrics import squash
from assistant.ingestion.files import load_articles
from assistant.ingestion.indexer import build_index
from assistant.judges import evidence_text
from assistant.records import Article
from assistant.settings import Settings
from assistant.store import IndexDir

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "multihop-rag"

NEGATIVES_TOP = 12  # per question, from the passages ranked first (the hardest)
NEGATIVES_GOLD_ARTICLE = 6  # per question, other sentences of its gold articles
NEGATIVES_OTHER = 8  # per question, from the rest of the retrieved passages
MIN_CHARS = 25  # a shorter piece of a fact (a fragment the splitter made) is not a statement


def training_urls() -> set[str]:
    """The addresses of the 409 articles of `train_articles.txt`."""
    return {line.strip() for line in (DATA / "train_articles.txt").read_text().splitlines() if line.startswith("http")}


def multihop_training_articles() -> list[Article]:
    """The 409 training articles of MultiHop-RAG, as the assistant loads them."""
    urls = training_urls()
    return [a for a in load_articles([DATA / "all_corpus.jsonl"]) if isinstance(a, Article) and a.url in urls]


def training_corpus(folder: Path) -> Path:
    """The training articles as a JSONL corpus in `folder` (not part of the repository)."""
    urls = training_urls()
    target = folder / "train_corpus.jsonl"
    lines = [line for line in (DATA / "all_corpus.jsonl").open() if json.loads(line)["url"] in urls]
    target.write_text("".join(lines))
    return target


def split_of(question_id: str) -> str:
    return "valid" if int(hashlib.sha1(f"valid:{question_id}".encode()).hexdigest(), 16) % 10 == 0 else "train"


def is_gold(sentence: str, facts: list[str]) -> bool:
    piece = squash(sentence)
    return any(piece in fact if len(sentence) >= MIN_CHARS else piece == fact for fact in facts) or any(
        fact in piece for fact in facts
    )


def pairs_for(question: dict, passages: list, rng: random.Random) -> list[dict]:
    facts = [squash(e["fact"]) for e in question["evidence"]]
    gold_docs = {e["doc_id"] for e in question["evidence"]}
    seen: set[str] = set()
    found_facts: set[str] = set()
    true, near, top, other = [], [], [], []
    for rank, passage in enumerate(passages):
        for start, end in safe_sentences(passage.chunk.text):
            sentence = passage.chunk.text[start:end]
            key = squash(sentence)
            if key in seen:
                continue
            seen.add(key)
            pair = (sentence, passage.title or "", passage.source or "", passage.published_at)
            if is_gold(sentence, facts):
                true.append(pair)
                found_facts |= {f for f in facts if key in f or f in key}
            elif passage.chunk.doc_id in gold_docs:
                near.append(pair)
            elif rank < 5:
                top.append(pair)
            else:
                other.append(pair)
    missed = [e for e in question["evidence"] if squash(e["fact"]) not in found_facts]
    rows = [("gold", 1, p) for p in true]
    rows += [("gold_missed", 1, (e["fact"], e["title"], e["source"], e["published_at"])) for e in missed]
    rows += [("gold_article", 0, p) for p in rng.sample(near, min(len(near), NEGATIVES_GOLD_ARTICLE))]
    rows += [("retrieved_top", 0, p) for p in rng.sample(top, min(len(top), NEGATIVES_TOP))]
    rows += [("retrieved", 0, p) for p in rng.sample(other, min(len(other), NEGATIVES_OTHER))]
    return [
        {"question": question["question"], "evidence": evidence_text([s], title, source, published),
         "label": label, "kind": kind, "question_id": question["id"], "split": split_of(question["id"])}
        for kind, label, (s, title, source, published) in rows
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--top-k", type=int, default=20, help="passages retrieved per question")
    parser.add_argument("--seed", type=int, default=37)
    parser.add_argument("--questions", type=Path, help="more questions (short_questions.py), those well asked")
    args = parser.parse_args()
    folder = args.out.parent
    folder.mkdir(parents=True, exist_ok=True)
    settings = Settings().model_copy(update={"index_dir": folder / "train_index"})
    build_index([training_corpus(folder)], settings)
    index = IndexDir.of(settings).open()
    embedder = make_embedder(settings, questions=True)
    rng = random.Random(args.seed)
    questions = [json.loads(line) for line in (DATA / "train_questions.jsonl").open()]
    if args.questions:
        from short_questions import well_asked

        more = [json.loads(line) for line in args.questions.open()]
        questions += [q for q in more if well_asked(q["question"], q["evidence"][0]["fact"])]
    rows = []
    for question in questions:
        rows += pairs_for(question, retrieve(question["question"], index, embedder, args.top_k), rng)
    args.out.write_text("".join(json.dumps(row) + "\n" for row in rows))
    kinds = Counter(str(r["kind"]) for r in rows)
    print(f"{len(rows)} pairs from {len(questions)} questions: {dict(kinds)}", file=sys.stderr)


if __name__ == "__main__":
    main()
