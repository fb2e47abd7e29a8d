"""Answers: the answerer, its domain types, follow-ups, direct answers, the "does it answer" judgement,
verification of every cited sentence, prompts and injection safety."""
