"""Parsers that turn raw documents (article pages, wire formats, feeds) into article submissions.

Pure functions, no I/O: bytes or text in, ArticleSubmission (or FormatError) out.
`registry.parse_raw` picks the parser by Content-Type.
"""
