"""The model's answer as it streams, edited so that nothing shown is taken back: markers and claims checked."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from assistant.answering.citations import COMPLETE_SENTENCE_END, CheckedClaim, ClaimChecker, is_refusal
from assistant.answering.markers import MARKER, drop_invalid_markers
from assistant.judges import ClaimVerifier
from assistant.records import Passage, Statement

TextSink = Callable[[str], None]
REFUSAL = "I don't know: the articles do not contain an answer to this question."
_REFUSAL_WINDOW = 80  # characters held back at the start of a stream to recognise a refusal


UNVERIFIED_MARK = " (unverified)"  # after a claim no shown sentence holds, in the streamed text


class CheckedStream:
    """Edits the model's text as it streams: drops invalid markers, checks every claim, recognises a refusal.

    Nothing shown is taken back. A sentence's words are passed on as they come, up
    to its first marker; its markers only once the sentence is complete and checked
    against the sentences it cites (`ClaimChecker`: kept, re-pointed, or the claim
    marked unverified). The start of the answer is held back until it is clear it is
    not a refusal (a refusal is replaced by one standard sentence).
    """

    def __init__(
        self,
        passages: list[Passage],
        sink: TextSink,
        question: str = "",
        refuse_unsupported: bool = False,
        verifier: ClaimVerifier | None = None,
        statements: Mapping[str, list[Statement]] | None = None,
    ) -> None:
        self.checker, self.sink = ClaimChecker(passages, question, verifier, statements), sink
        self.refuse_unsupported = refuse_unsupported  # hold the whole answer; refuse if no claim of it holds
        self.valid = set(range(1, len(passages) + 1))
        self.raw = ""
        self.done = 0  # raw[:done] is checked: its sentences are in `text`
        self.text = ""  # the checked answer
        self.shown = ""  # the same, unverified claims marked: what the sink gets
        self.sent = 0
        self.checked: list[CheckedClaim] = []
        self.unmarked: list[int] = []  # places in `checked` of the sentences without a marker since the last marked one
        self.removed: list[int] = []
        self.refused: bool | None = None

    def feed(self, piece: str) -> None:
        self.raw += piece
        if self.refused is None and len(self.raw) >= _REFUSAL_WINDOW:
            self.refused = is_refusal(self.raw)
        if self.refused is False:
            self._check(final=False)
            if not self.refuse_unsupported:
                self._emit(self.shown + self._partial())

    def finish(self) -> tuple[str, list[int]]:
        if self.refused is None:
            self.refused = is_refusal(self.raw)
        if not self.refused:
            self._check(final=True)
            self.refused = self.refuse_unsupported and not any(item.held for item in self.checked)
        if self.refused:
            self.sink(REFUSAL)
            return REFUSAL, []
        self._emit(self.shown)
        return self.text, self.removed

    def _check(self, final: bool) -> None:
        rest = self.raw[self.done :]
        ends = [m.end() for m in COMPLETE_SENTENCE_END.finditer(rest)]
        if final:
            ends.append(len(rest))
        start = 0
        for end in ends:
            if rest[start:end].strip():
                self._add(rest[start:end])
            start = end
        self.done += start

    def _add(self, part: str) -> None:
        cleaned, removed = drop_invalid_markers(part, self.valid)
        self.removed.extend(removed)
        lead = cleaned[: len(cleaned) - len(cleaned.lstrip())] if self.text else ""
        checked = self.checker.check(cleaned.strip())
        if checked.claim.cites:  # the sentences before it without a marker of their own rest on its passages
            for place in self.unmarked:
                self.checked[place] = self.checker.check_under(self.checked[place].sentence, checked.claim.cites)
            self.unmarked = []
        elif checked.uncited:
            self.unmarked.append(len(self.checked))
        self.checked.append(checked)
        self.text += lead + checked.sentence
        self.shown += lead + (_marked(checked.sentence) if checked.unsupported else checked.sentence)

    def _partial(self) -> str:
        """The sentence being written, up to its first marker: what of it can no longer change."""
        rest = self.raw[self.done :]
        if (bracket := rest.find("[")) != -1:
            rest = rest[:bracket]
        cleaned, _ = drop_invalid_markers(rest, self.valid)
        return (cleaned if self.text else cleaned.lstrip()).rstrip()

    def _emit(self, text: str) -> None:
        if len(text) > self.sent:
            self.sink(text[self.sent :])
            self.sent = len(text)


def _marked(sentence: str) -> str:
    """The sentence with UNVERIFIED_MARK after its last marker."""
    end = [m.end() for m in MARKER.finditer(sentence)][-1]
    return sentence[:end] + UNVERIFIED_MARK + sentence[end:]
