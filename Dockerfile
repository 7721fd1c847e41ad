# Production image: gunicorn serving Spink; the same image runs the Celery worker and beat.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY requirements.lock .
RUN pip install --require-hashes -r requirements.lock
COPY . .
RUN SECRET_KEY=build-only-collectstatic-key-not-used-at-runtime-0123456789abcdef \
    DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    STATIC_ROOT=/app/staticfiles python manage.py collectstatic --no-input \
 && mkdir -p /app/media && useradd --system --home /app spink && chown -R spink /app
USER spink
ENV STATIC_ROOT=/app/staticfiles
EXPOSE 8000
CMD ["gunicorn", "spink.wsgi:application", "--config", "python:spink.gunicorn_conf", "--bind", "0.0.0.0:8000"]
