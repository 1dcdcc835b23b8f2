"""Short questions worded as users word them, each answered by one sentence of a training article.

    python training/short_questions.py OUT.jsonl [--count 800] [--seed 37]

The answerability judge learned from MultiHop-RAG's long questions that name their outlets and
dates, and reads short ones poorly (docs/judges.md: "How many Syrians does Turkey shelter?" gets
P 0.03 for the sentence that says it). These are the questions it lacks: the embedded model asks
a short question about a sentence (one with a name or a number) of the 409 training articles
(`train_articles.txt`, never a dev one). Appends to OUT, so a run cut short goes on where it
stopped. One JSON line each, in the shape of `train_questions.jsonl` (id, question, evidence with
the sentence as its fact), so that `answer_data.py` can make pairs of them as of the others.

Not yet used to train: `answer_data.py --questions OUT.jsonl` pairs those that `well_asked` keeps
(read by hand, many are good, "When will Ukrainian pilots start training on the jets?", and some
vague, "What is the main topic of the article about?", "What is Steve?").
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from answer_data import multihop_training_articles  # noqa: E402
from claims import sentences  # noqa: E402

from assistant.backends.chat import make_chat_model  # noqa: E402
from assistant.ingestion.chunking import chunk_article  # noqa: E402
from assistant.settings import load_settings  # noqa: E402

INSTRUCTION = (
    "Write one short question, at most 12 words, that the sentence answers, as a reader would ask it "
    "before reading it. Name who or what it is about; do not mention the article, the report or the "
    "outlet. Reply with the question only.\n\nSentence: "
)
_INFORMATIVE = re.compile(r"\d|(?<=\s)[A-Z][a-z]+")  # a number, or a name not opening the sentence
_ABOUT_THE_TEXT = re.compile(r"\b(article|author|story|report|main topic|passage|sentence|text)\b", re.IGNORECASE)
_CONTENT = re.compile(r"\b[A-Za-z][\w'’-]{4,}\b")


def well_asked(question: str, sentence: str) -> bool:
    """A question a reader could ask of the news: about the sentence's own things (one of its longer
    words or names), not about the text itself ("What is the main topic of the article?")."""
    names = {w.lower() for w in re.findall(r"(?<=\s)[A-Z][\w'’-]{2,}", question)}
    asked = {w.lower() for w in _CONTENT.findall(question)} - {"which", "where", "there", "about", "their"} | names
    return not _ABOUT_THE_TEXT.search(question) and any(w in sentence.lower() for w in asked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=800)
    parser.add_argument("--seed", type=int, default=37)
    args = parser.parse_args()
    pool = [
        (article, s)
        for article in multihop_training_articles()
        for chunk in chunk_article(article, 1000, 200)
        for s in sentences(chunk)
        if 10 <= len(s.split()) <= 40 and _INFORMATIVE.search(s)
    ]
    pool = list({s: (a, s) for a, s in pool}.values())
    random.Random(args.seed).shuffle(pool)
    done = {json.loads(line)["evidence"][0]["fact"] for line in args.out.open()} if args.out.exists() else set()
    model = make_chat_model(load_settings())
    with args.out.open("a") as out:
        for n, (article, sentence) in enumerate(pool[: args.count]):
            if sentence in done:
                continue
            reply = "".join(model.stream([{"role": "user", "content": INSTRUCTION + sentence}], 40)).strip()
            if not reply.endswith("?") or "\n" in reply or len(reply.split()) > 16:
                continue
            fact = {"fact": sentence, "doc_id": article.doc_id, "title": article.title, "source": article.source,
                    "published_at": article.published_at}  # fmt: skip
            out.write(json.dumps({"id": f"short-{n:05d}", "question": reply, "evidence": [fact]}) + "\n")
            out.flush()


if __name__ == "__main__":
    main()
