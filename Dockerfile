# Production image: gunicorn serves the app; the same image runs the Celery worker and beat.
FROM python:3.12-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON_DOWNLOADS=never \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=config.settings.production

# Pango and a font: WeasyPrint draws the plans' PDFs (programs/plans/pdf.py).
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm \
       libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir uv==0.13.9

WORKDIR /app
COPY pyproject.toml uv.lock package.json package-lock.json ./
RUN uv sync --locked --no-dev --no-install-project && npm ci --omit=dev --no-audit --no-fund

COPY . .
# collectstatic needs settings to import; the build-time secret is never used at run time.
RUN SECRET_KEY=build-only-$(python -c 'import secrets; print(secrets.token_urlsafe(64))') \
    python manage.py collectstatic --noinput

RUN useradd --system --uid 1000 pulse && chown -R pulse /app
USER pulse
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
