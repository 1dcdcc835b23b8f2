// The reading room: ask, read the answer as it streams, click [n] to see the quoted sentence in its article.
"use strict";

const $ = (id) => document.getElementById(id);
const history = []; // {question, answer} of the conversation so far, sent with every question
const articles = new Map(); // doc_id -> article, fetched once
let token = sessionStorage.getItem("assistant-token") || "";

async function api(path, options = {}) {
  const headers = { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) };
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) {
    token = window.prompt("This server needs its access token (ASSISTANT_SERVER_TOKEN):") || "";
    sessionStorage.setItem("assistant-token", token);
    if (token) return api(path, options);
  }
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      detail = typeof body.detail === "string" ? body.detail : body.detail.map((d) => d.msg).join("; ");
    } catch (_) { /* not JSON */ }
    if (response.status === 503 && response.headers.get("Retry-After")) {
      detail += ` (try again in ${response.headers.get("Retry-After")} s)`;
    }
    throw new Error(detail);
  }
  return response;
}

async function* serverSentEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data += line.slice(5);
      }
      yield { event, data: JSON.parse(data) };
    }
  }
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// The answer's text with each [n] a button that opens its source.
function renderAnswer(container, answer) {
  container.replaceChildren();
  const byNumber = new Map(answer.citations.map((c) => [c.n, c]));
  let last = 0;
  for (const match of answer.answer.matchAll(/\[(\d+)\]/g)) {
    container.append(answer.answer.slice(last, match.index));
    const citation = byNumber.get(Number(match[1]));
    if (citation) {
      const button = element("button", "cite" + (citation.verified ? "" : " unverified"), `[${citation.n}]`);
      button.type = "button";
      button.title = [citation.title || citation.doc_id, ...knownDetails(citation)].join(" · ") +
        (citation.verified ? "" : " · does not hold the claim");
      button.addEventListener("click", () => openSource(citation));
      container.append(button);
    } else {
      container.append(match[0]);
    }
    last = match.index + match[0].length;
  }
  container.append(answer.answer.slice(last));
}

// What is known of a citation's article: its outlet and date (an unknown one is left out, not named).
function knownDetails(citation) {
  return [citation.source, (citation.published_at || "").slice(0, 10)].filter(Boolean);
}

function renderSources(turn, answer) {
  if (!answer.citations.length) return;
  const list = element("ol", "sources");
  for (const citation of answer.citations) {
    const item = element("li");
    item.value = citation.n;
    const button = element("button", "", citation.title || citation.doc_id);
    button.type = "button";
    button.addEventListener("click", () => openSource(citation));
    item.append(button, knownDetails(citation).map((part) => ` · ${part}`).join(""));
    list.append(item);
  }
  turn.append(list);
}

// How sure the answer is, as a label a reader can read (not only a colour).
function renderConfidence(turn, answer) {
  if (answer.confidence === null || answer.confidence === undefined) return;
  const value = answer.confidence.toFixed(2);
  const [label, kind] = answer.refused
    ? [`Confidence ${value}: too low to answer.`, "low"]
    : answer.low_confidence
      ? [`Low confidence (${value}): the articles may not state this; check the quotes.`, "low"]
      : [`Confidence ${value}.`, "high"];
  turn.append(element("p", `confidence ${kind}`, label));
}

function renderNotes(turn, answer) {
  const notes = [
    ...answer.unsupported_sentences.map((s) => `Not supported by the sources: ${s}`),
    ...answer.uncited_sentences.map((s) => `Not backed by a citation: ${s}`),
  ];
  if (!notes.length) return;
  const list = element("ul", "notes");
  for (const note of notes) list.append(element("li", "", note));
  turn.append(list);
}

async function openSource(citation) {
  const panel = $("source-panel");
  panel.hidden = false;
  const number = citation.n === undefined ? "" : `[${citation.n}] `; // a statement has no number
  $("source-title").textContent = `${number}${citation.title || citation.doc_id}`;
  $("source-meta").replaceChildren(knownDetails(citation).join(" · "));
  if (citation.url) {
    const link = element("a", "", "original");
    link.href = citation.url;
    link.rel = "noopener noreferrer";
    link.target = "_blank";
    $("source-meta").append(" · ", link);
  }
  const text = $("source-text");
  text.textContent = "loading the article…";
  try {
    if (!articles.has(citation.doc_id)) {
      const response = await api(`/v1/articles/${citation.doc_id.split("/").map(encodeURIComponent).join("/")}`);
      articles.set(citation.doc_id, await response.json());
    }
  } catch (error) {
    text.textContent = `Cannot show the article: ${error.message}`;
    return;
  }
  const article = articles.get(citation.doc_id);
  const quotes = (citation.quotes.length ? citation.quotes : [citation]).slice().sort((a, b) => a.char_start - b.char_start);
  text.replaceChildren();
  let last = 0;
  for (const quote of quotes) {
    if (quote.char_start < last) continue;
    text.append(article.text.slice(last, quote.char_start));
    text.append(element("mark", "", article.text.slice(quote.char_start, quote.char_end)));
    last = quote.char_end;
  }
  text.append(article.text.slice(last));
  const first = text.querySelector("mark");
  if (first) first.scrollIntoView({ block: "center" });
  text.focus({ preventScroll: true });
}

async function ask(question) {
  const turn = element("li", "turn");
  turn.append(element("p", "question", question));
  const answerText = element("p", "answer", "…");
  turn.append(answerText);
  $("turns").append(turn);
  turn.scrollIntoView({ block: "end" });
  const body = {
    question,
    history: history.slice(-5),
    stream: true,
    sources: $("source").value ? [$("source").value] : [],
    since: $("since").value || null,
    until: $("until").value || null,
  };
  let text = "";
  try {
    const response = await api("/v1/ask", { method: "POST", body: JSON.stringify(body) });
    for await (const { event, data } of serverSentEvents(response)) {
      if (event === "text") {
        text += data.delta;
        answerText.textContent = text;
      } else if (event === "done") {
        turn.classList.toggle("refused", data.refused);
        renderAnswer(answerText, data);
        renderConfidence(turn, data);
        renderSources(turn, data);
        renderNotes(turn, data);
        history.push({ question, answer: data.answer });
        $("status").textContent = `answered in ${data.timings.total_s ?? "?"} s`;
      } else if (event === "error") {
        throw new Error(data.detail);
      }
    }
  } catch (error) {
    if (!text) answerText.remove();
    turn.append(element("p", "error", `Error: ${error.message}`));
    turn.classList.add("failed");
  }
}

// Who said what: a speaker's statements (or those about some words), each opening its article at the sentence.
async function findStatements() {
  const query = new URLSearchParams({ limit: "50" });
  for (const [name, value] of [["speaker", $("speaker").value], ["about", $("about").value],
    ["source", $("source").value], ["since", $("since").value], ["until", $("until").value]]) {
    if (value.trim()) query.set(name, value.trim());
  }
  const list = $("statements");
  list.replaceChildren();
  $("quotes-status").textContent = "searching…";
  let statements;
  try {
    statements = await (await api(`/v1/quotes?${query}`)).json();
  } catch (error) {
    $("quotes-status").textContent = `Error: ${error.message}`;
    return;
  }
  $("quotes-status").textContent = statements.length
    ? `${statements.length} statement${statements.length === 1 ? "" : "s"}, newest first`
    : "No statement found: try another name (a person, organisation or country) or fewer words.";
  for (const statement of statements) {
    const item = element("li", "statement");
    const speaker = element("button", "speaker", statement.speaker);
    speaker.type = "button";
    speaker.title = "Only this speaker's statements";
    speaker.addEventListener("click", () => {
      $("speaker").value = statement.person || statement.organisation || statement.speaker;
      $("about").value = "";
      findStatements();
    });
    const said = element("p", "said-by");
    said.append(speaker, ` ${statement.cue}`, ...knownDetails(statement).map((part) => ` · ${part}`));
    const sentence = element("button", "sentence", statement.text);
    sentence.type = "button";
    sentence.title = "Open the article at this sentence";
    sentence.addEventListener("click", () => openSource({ ...statement, quotes: [statement] }));
    item.append(said, sentence);
    list.append(item);
  }
}

async function loadStatus() {
  try {
    const status = await (await api("/v1/index")).json();
    const sources = `${status.sources.length} source${status.sources.length === 1 ? "" : "s"}`;
    $("status").textContent = `${status.articles} articles from ${sources}, ${status.chunks} passages`;
    $("status").title = status.sources.map((s) => `${s.source} (${s.kind}, ${s.articles} articles)`).join("\n");
    for (const outlet of status.outlets) $("source").append(new Option(outlet, outlet));
  } catch (error) {
    $("status").textContent = `index: ${error.message}`;
  }
}

$("ask").addEventListener("submit", async (event) => {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question) return;
  $("question").value = "";
  $("submit").disabled = true;
  try {
    await ask(question);
  } finally {
    $("submit").disabled = false;
    $("question").focus();
  }
});
$("quotes").addEventListener("submit", (event) => {
  event.preventDefault();
  findStatements();
});
$("question").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    $("ask").requestSubmit();
  }
});
$("reset").addEventListener("click", () => {
  history.length = 0;
  $("turns").replaceChildren();
  $("source-panel").hidden = true;
  $("question").focus();
});
$("close-source").addEventListener("click", () => { $("source-panel").hidden = true; });
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") $("source-panel").hidden = true;
});
loadStatus();
$("question").focus();
