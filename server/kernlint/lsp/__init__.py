"""The language server face: `kernlint serve`.

    cli.py        argument parsing for the `serve` subcommand (no pygls import)
    server.py     protocol handlers: documents, diagnostics, code actions, commands
    documents.py  open documents: text, incremental edits, per-document parse state
    analysis.py   the one analysis worker thread (engine calls, never on the event loop)
    actions.py    code-action providers (template fixes, suppress comment, LLM hook)
    convert.py    model <-> LSP conversion (positions in the negotiated encoding)

Only server.py and convert.py import pygls / lsprotocol; nothing here analyses C by itself.
"""
