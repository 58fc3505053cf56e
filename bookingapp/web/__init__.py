from bookingapp.web import unsubscribe  # noqa: F401,E402  (its routes register on the web blueprint)
from bookingapp.web import data_requests  # noqa: F401,E402  (its routes register on the web blueprint)
