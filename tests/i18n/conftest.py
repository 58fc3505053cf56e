"""The wizard's fixtures (a pinned clock, the Corner Salon) for the two-language tests."""
from tests.web.conftest import pinned_clock, shop  # noqa: F401  (fixtures)
