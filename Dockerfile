# Production image: gunicorn serving LEC; the same image runs the Celery worker and beat.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 LEC_ENV=production
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir . && SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --system --home /app lec && chown -R lec /app
USER lec
EXPOSE 8000
CMD ["gunicorn", "lec.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--threads", "4", "--timeout", "60"]
