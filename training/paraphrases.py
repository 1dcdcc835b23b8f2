"""Paraphrases of training sentences by the embedded model: true claims worded as a writer words them.

    python training/paraphrases.py OUT.jsonl [--count 1500] [--seed 37]

The claim verifier learned the rule-made rewordings' words, not meaning (docs/judges.md: 0.22 of
hand-written paraphrases verified). These are the positives it lacks: each sentence of the
verifier's training articles (`verifier_data.training_articles`, never a dev or aside one)
rewritten by the model the assistant answers with. Appends to OUT, so a run cut short goes on
where it stopped. One JSON line each: doc_id, sentence, paraphrase.

Read by hand, about half keep the meaning; the others change it ("trust ... is still quite low" ->
"Despite Shen's assertion, the relationship ... remains relatively untrustworthy"), add a fact ("the
2022 NFL draft" for an NHL pick) or garble it. `verifier_data.faithful` keeps those that add no
number or name, keep most names and stay close by the embedder (about 39 of the first 45 it
keeps keep the meaning); `verifier_data.py --paraphrases` labels those true (and their swaps
false).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "training"))

from claims import sentences  # noqa: E402
from verifier_data import training_articles  # noqa: E402

from assistant.backends.chat import make_chat_model  # noqa: E402
from assistant.ingestion.chunking import chunk_article  # noqa: E402
from assistant.settings import load_settings  # noqa: E402

INSTRUCTION = (
    "Rewrite the sentence in your own words, as a news reader would retell it: change the wording and the "
    "order, keep every fact, name and number, add nothing. Reply with the rewritten sentence only.\n\nSentence: "
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=37)
    args = parser.parse_args()
    pool = [(a.doc_id, s) for a in training_articles() for c in chunk_article(a, 1000, 200) for s in sentences(c)]
    pool = list(dict.fromkeys(pool))
    random.Random(args.seed).shuffle(pool)
    done = {json.loads(line)["sentence"] for line in args.out.open()} if args.out.exists() else set()
    model = make_chat_model(load_settings())
    with args.out.open("a") as out:
        for doc_id, sentence in pool[: args.count]:
            if sentence in done:
                continue
            reply = "".join(model.stream([{"role": "user", "content": INSTRUCTION + sentence}], 80)).strip()
            if reply and reply != sentence and "\n" not in reply:
                out.write(json.dumps({"doc_id": doc_id, "sentence": sentence, "paraphrase": reply}) + "\n")
                out.flush()


if __name__ == "__main__":
    main()
