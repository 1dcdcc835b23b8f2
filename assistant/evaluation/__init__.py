"""Scripted Q&A evaluations: `assistant eval` (retrieval, answers, citations, refusals, cost)."""
