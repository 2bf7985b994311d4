"""gunicorn's settings for every way the web process starts (gunicorn reads ./gunicorn.conf.py itself).

The command lines of the Procfile, the Dockerfile and docker-compose.yml set binding, workers and
threads; this file sets what must hold whatever they say.
"""

# Access lines redacted at the source: no query values, no signed image token, no e-mail
# (kycreview/logredact.py, docs/operations.md "What logs hold").
logger_class = "kycreview.logredact.RedactingGunicornLogger"
accesslog = "-"
