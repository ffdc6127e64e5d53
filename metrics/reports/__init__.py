"""The weekly report, in four steps, one module each.

- ``selectors``: the week's rows (six queries), and the report pages' reads;
- ``build``: the rows as the stored content, section by section (no queries);
- ``render``: the content as Markdown and as e-mail, from templates;
- ``services``: generate and store a report, mail it to subscribers, subscribe.
"""
