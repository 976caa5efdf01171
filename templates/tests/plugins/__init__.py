"""pytest plugins: the test setup of the options this project was generated with.

Each module comes with the template options that need it (a server, an orchestrator), and
tests/conftest.py lists the ones this project has in `pytest_plugins`; the setup every
project needs stays in conftest.py.
"""
