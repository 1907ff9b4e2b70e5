"""Glue between the web views and the core, one module per concern (flaskr-style small accessors).

* :mod:`~tourplan.web.services.data`: the site data in use, the store, the
  map settings, the optional modules;
* :mod:`~tourplan.web.services.planning`: itineraries and study tours;
* :mod:`~tourplan.web.services.simulations`: visitor-flow runs and their results;
* :mod:`~tourplan.web.services.upload`: a new site table from staff.

Views parse the request and render; everything they share lives here
(STYLE.md section 2). Functions use the current app (``current_app``) for
the store, the active site data and the configuration, and raise tourplan's
own errors, which the blueprints translate into HTML or JSON. Results become
map and page view-models in :mod:`tourplan.views` only, as in the CLI.
"""
