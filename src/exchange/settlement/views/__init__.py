"""Finance (结算) pages and the member's own statement. Thin: parse → one service → render.

Every finance page checks a settlement permission (roles: 结算 acts, 监管 only reads);
lists export to Excel with `?format=xlsx`. The member statement shows only the caller's
own accounts. The pages are in submodules by subject (reports, exceptions, imports,
batches, postings, documents); `urls` names them there.
"""

from __future__ import annotations

from exchange.settlement.views.postings import ManualPostingForm

__all__ = ["ManualPostingForm"]
