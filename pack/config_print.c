/* Renders the effective config as slipway.ini text: what --print-config shows, so nothing
 * that detection decided is hidden. The output parses back to the same config. */
#include "pack/config.h"
#include "pack/nextjs.h"
#include "pack/words.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A list key; long lists continue on indented lines (libinih's lines are short). */
static void put_words(FILE *f, const char *key, const struct strlist *l, bool wrap)
{
	size_t i, col;

	col = (size_t)fprintf(f, "%s =", key);
	for (i = 0; i < l->n; i++) {
		char *q = words_quote(l->v[i]);
		size_t n = q ? strlen(q) : 1;

		if (wrap && i > 0 && col + 1 + n > 100) {
			fputs("\n ", f);
			col = 1;
		}
		fprintf(f, " %s", q ? q : "?");
		col += 1 + n;
		free(q);
	}
	fputc('\n', f);
}

static void put_duration(FILE *f, const char *key, uint64_t ms)
{
	if (ms % 3600000 == 0)
		fprintf(f, "%s = %lluh\n", key, (unsigned long long)(ms / 3600000));
	else if (ms % 60000 == 0)
		fprintf(f, "%s = %llum\n", key, (unsigned long long)(ms / 60000));
	else if (ms % 1000 == 0)
		fprintf(f, "%s = %llus\n", key, (unsigned long long)(ms / 1000));
	else
		fprintf(f, "%s = %llums\n", key, (unsigned long long)ms);
}

/* "; detected: <why>", and which keys slipway.ini changed. */
static void put_origin(FILE *f, const struct pack_service *s)
{
	static const struct {
		unsigned bit;
		const char *key;
	} keys[] = {{SVC_COMMAND, "command"},
	            {SVC_CWD, "cwd"},
	            {SVC_ENV, "env"},
	            {SVC_PORT, "port"},
	            {SVC_HEALTH_PORT, "health_port"},
	            {SVC_READY, "ready"},
	            {SVC_READY_TIMEOUT, "ready_timeout"},
	            {SVC_STOP_TIMEOUT, "stop_timeout"},
	            {SVC_KILL_MODE, "kill_mode"},
	            {SVC_ENABLED, "enabled"}};
	const char *sep = "; slipway.ini sets: ";
	size_t i;

	if (!s->detected)
		return;
	fprintf(f, "; detected: %s\n", s->detected);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (s->set & keys[i].bit) {
			fprintf(f, "%s%s", sep, keys[i].key);
			sep = ", ";
		}
	if (s->set)
		fputc('\n', f);
}

static void put_service(FILE *f, const struct pack_service *s)
{
	fprintf(f, "\n[service %s]\n", s->name);
	put_origin(f, s);
	/* As written, which libinih gave us with comments stripped; only a leading ';'
	 * would read as a comment after "= ", so then the words are quoted instead. */
	if (!s->command)
		fprintf(f, "; no command\n");
	else if (s->command[0] != ';')
		fprintf(f, "command = %s\n", s->command);
	else
		put_words(f, "command", &s->argv, false);
	fprintf(f, "cwd = %s\n", s->cwd ? s->cwd : ".");
	if (s->env.n)
		put_words(f, "env", &s->env, true);
	if (s->port)
		fprintf(f, "port = %d\n", s->port);
	if (s->health_port)
		fprintf(f, "health_port = %d\n", s->health_port);
	if (s->ready == READY_HTTP)
		fprintf(f, "ready = http %s\n", s->ready_path ? s->ready_path : "/");
	else if (s->ready == READY_LOG)
		fprintf(f, "ready = log %s\n", s->ready_log);
	else
		fprintf(f, "ready = %s\n", s->ready == READY_TCP ? "tcp" : "none");
	put_duration(f, "ready_timeout", s->ready_timeout_ms);
	put_duration(f, "stop_timeout", s->stop_timeout_ms);
	if (s->kill_mode != KILL_DEFAULT)
		fprintf(f, "kill_mode = %s\n", s->kill_mode == KILL_GROUP ? "group" : "process");
}

/* "; PREFIX TEXT" wrapped at spaces into lines the config reader takes back. */
static void put_comment(FILE *f, const char *prefix, const char *text)
{
	const size_t width = 96;
	const char *p = text;

	fprintf(f, "; %s", prefix);
	while (strlen(p) > width) {
		const char *cut = p + width;

		while (cut > p && *cut != ' ')
			cut--;
		if (cut == p)
			cut = p + width;
		fprintf(f, "%.*s\n;   ", (int)(cut - p), p);
		p = *cut == ' ' ? cut + 1 : cut;
	}
	fprintf(f, "%s\n", p);
}

char *config_to_ini(const struct pack_config *cfg)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "; effective configuration (%s)\n",
	        cfg->file ? cfg->file : "no slipway.ini: detected defaults");
	for (i = 0; i < cfg->notes.n; i++)
		fprintf(f, "; note: %s\n", cfg->notes.v[i]);
	for (i = 0; i < cfg->blockers.n; i++)
		put_comment(f, "pack refuses before building: ", cfg->blockers.v[i]);
	fprintf(f, "[app]\n");
	if (cfg->app_origin == APP_FROM_PACKAGE_JSON)
		fprintf(f, "; name: from package.json\n");
	else if (cfg->app_origin == APP_FROM_PACKAGE_FIXED)
		fprintf(f, "; name: package.json's \"name\" '%s', made valid\n", cfg->app_raw);
	else if (cfg->app_origin == APP_FROM_DIRECTORY)
		fprintf(f, "; name: from the directory name '%s' (package.json has no \"name\")\n",
		        cfg->app_raw);
	fprintf(f, "name = %s\n", cfg->app ? cfg->app : "");
	if (cfg->build && *cfg->build) {
		fprintf(f,
		        "; build environment: NEXT_TELEMETRY_DISABLED=1 SLIPWAY_VERSION=<version> "
		        "SLIPWAY_SERIAL=<serial> " NEXT_DEPLOYMENT_ID_ENV "=<version>\n");
		fprintf(f, "build = %s\n", cfg->build);
	} else
		fprintf(f, "; build: none\nbuild =\n");
	fprintf(f, "\n[bundle]\n");
	put_words(f, "include", &cfg->include, true);
	put_words(f, "exclude", &cfg->exclude, true);
	fprintf(f, "; never packed: .git .env* *.pem *.key .next/cache and the signing key\n");
	fprintf(f, "\n[secrets]\n");
	put_words(f, "required", &cfg->secrets_required, true);
	put_words(f, "optional", &cfg->secrets_optional, true);
	for (i = 0; i < cfg->n_services; i++)
		put_service(f, &cfg->services[i]);
	for (i = 0; i < cfg->disabled.n; i++)
		fprintf(f, "\n[service %s]\n; detected, turned off\nenabled = no\n",
		        cfg->disabled.v[i]);
	if (!cfg->n_services)
		fprintf(
		    f, "\n; no service: pack refuses a release that starts nothing (add a [service "
		       "NAME] with a command, or pass --allow-no-services)\n");
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
