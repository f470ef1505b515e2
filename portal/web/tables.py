"""The base table every list uses: total ordering and the shared htmx-aware template."""

from typing import Any

import django_tables2 as tables
from django_tables2.utils import OrderByTuple


class BaseTable(tables.Table):
    """A django-tables2 table whose every sort ends on the primary key, so pages never repeat rows."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for bound in self.columns:
            if bound.orderable and bound.column.order_by is None:
                bound.column.order_by = OrderByTuple((bound.accessor, "pk"))
        if self.order_by:
            self.order_by = self.order_by  # re-apply with the tie-breaker now in place

    # ?per_page= is honoured up to this many rows, so one request cannot ask for the whole table.
    max_per_page = 200

    def paginate(self, *args: Any, per_page: int | None = None, **kwargs: Any) -> None:
        if per_page is not None:
            per_page = max(1, min(per_page, self.max_per_page))
        super().paginate(*args, per_page=per_page, **kwargs)

    class Meta:
        template_name = "includes/_table.html"
        attrs = {"class": "table"}
