"""Fixtures borrowed for the two-language tests: the wizard's pinned clock and Corner
Salon, the dashboard's signed-in clients and the API's keyed client."""
from tests.api.conftest import api, make_key  # noqa: F401  (fixtures)
from tests.dashboard.conftest import as_role, make_account  # noqa: F401  (fixtures)
from tests.web.conftest import pinned_clock, shop  # noqa: F401  (fixtures)
