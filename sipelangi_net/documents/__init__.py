"""Documents for officials in Bahasa Indonesia (SOP steps 3, 9 and 10, and the periodic intranet report).

Pure builders (``disposisi``, ``berita_acara``, ``installation``, ``intranet``) turn a ticket into a typed
:class:`~sipelangi_net.documents.models.Document`; ``writer`` renders it to HTML (Jinja,
``templates/documents/``) and PDF (WeasyPrint) under ``reports/``; ``service`` adds the ticket
store (record steps 3, 9 and 10). See docs/documents.md.
"""
