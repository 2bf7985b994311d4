# One image for every process: web (gunicorn), worker and beat (Celery). See docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=kycreview.settings.production

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. Every requirement ships
# manylinux wheels (psycopg[binary], Pillow), so the slim image needs no compiler.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected into the image; whitenoise serves them. The values below
# only let the production settings load: nothing connects to the database here.
RUN DJANGO_SECRET_KEY=collectstatic-only \
    DJANGO_ALLOWED_HOSTS=localhost \
    DATABASE_URL=sqlite:////tmp/collectstatic.sqlite3 \
    python manage.py collectstatic --noinput

# Non-root at run time. var/media exists and belongs to the user so that a named volume
# mounted there starts with the right owner (when images are not on S3).
RUN useradd --create-home --uid 10001 kyc \
    && mkdir -p /app/var/media \
    && chown -R kyc:kyc /app/var
USER kyc

EXPOSE 8000
CMD ["gunicorn", "kycreview.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--access-logfile", "-"]
