#include "pack/config.h"
#include "pack/words.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/manifest/manifest_check.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* libinih calls our reader for each line and the handler for each key; it does not pass
 * line numbers to the handler in Debian's build (INI_HANDLER_LINENO 0), and it silently
 * splits lines longer than its buffer. Feeding it through our own reader gives us both the
 * line number and a hard error for long lines. */
struct parse_state {
	struct pack_config *cfg;
	const char *file;
	const char *text;
	size_t len, pos;
	int lineno;
	bool indented;      /* the current line continues the previous key */
	bool have_prev_key; /* a key was seen since the last section header */
	char section[256];  /* as libinih reports it */
	struct pack_service *service;
	unsigned seen; /* keys already set in the current section (bit per key) */
	struct err *err;
	bool failed;
};

/* Keys of [app], [bundle] and [secrets]; a [service NAME] section uses enum service_key. */
enum key_bit {
	K_NAME = 1 << 0,
	K_BUILD = 1 << 1,
	K_INCLUDE = 1 << 2,
	K_EXCLUDE = 1 << 3,
	K_REQUIRED = 1 << 4,
	K_OPTIONAL = 1 << 5,
};

static int state_fail(struct parse_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int state_fail(struct parse_state *st, const char *fmt, ...)
{
	char msg[ERR_MAX];
	va_list ap;

	if (st->failed)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fail(st->err, "%s:%d: %s", st->file, st->lineno, msg);
	st->failed = true;
	return 0;
}

void config_init(struct pack_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

static void service_release(struct pack_service *s)
{
	free(s->name);
	free(s->command);
	strlist_clear(&s->argv);
	free(s->cwd);
	strlist_clear(&s->env);
	free(s->ready_path);
	free(s->ready_log);
	free(s->detected);
}

void config_release(struct pack_config *cfg)
{
	size_t i;

	free(cfg->file);
	free(cfg->app);
	free(cfg->app_raw);
	free(cfg->build);
	strlist_clear(&cfg->include);
	strlist_clear(&cfg->exclude);
	strlist_clear(&cfg->secrets_required);
	strlist_clear(&cfg->secrets_optional);
	strlist_clear(&cfg->blockers);
	strlist_clear(&cfg->notes);
	strlist_clear(&cfg->disabled);
	for (i = 0; i < cfg->n_services; i++)
		service_release(&cfg->services[i]);
	free(cfg->services);
	memset(cfg, 0, sizeof(*cfg));
}

void config_remove_service(struct pack_config *cfg, size_t i)
{
	service_release(&cfg->services[i]);
	memmove(&cfg->services[i], &cfg->services[i + 1],
	        (cfg->n_services - i - 1) * sizeof(cfg->services[0]));
	cfg->n_services--;
}

struct pack_service *config_add_service(struct pack_config *cfg, const char *name)
{
	struct pack_service *grown, *s;

	if (cfg->n_services >= CONFIG_MAX_SERVICES)
		return NULL;
	grown = realloc(cfg->services, (cfg->n_services + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	cfg->services = grown;
	s = &cfg->services[cfg->n_services];
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	if (!s->name)
		return NULL;
	s->enabled = true;
	cfg->n_services++;
	return s;
}

int config_parse_duration_ms(const char *s, uint64_t *ms, struct err *err)
{
	const char *p = s;
	uint64_t n = 0, unit;

	if (!isdigit((unsigned char)*p))
		return fail(err, "bad duration '%s': expected a number with ms, s, m or h", s);
	while (isdigit((unsigned char)*p)) {
		if (n > UINT64_C(1000000000))
			return fail(err, "duration '%s' is too long", s);
		n = n * 10 + (uint64_t)(*p++ - '0');
	}
	if (!strcmp(p, "ms"))
		unit = 1;
	else if (!strcmp(p, "s") || !*p)
		unit = 1000;
	else if (!strcmp(p, "m") || !strcmp(p, "min"))
		unit = 60000;
	else if (!strcmp(p, "h"))
		unit = 3600000;
	else
		return fail(err, "bad duration '%s': expected a number with ms, s, m or h", s);
	if (n * unit > UINT64_C(7) * 24 * 3600000)
		return fail(err, "duration '%s' is longer than a week", s);
	*ms = n * unit;
	return 0;
}

/* A relative path inside the project: no leading '/', no '..' component, no NUL. */
static bool valid_relative_path(const char *s)
{
	const char *c = s;

	if (!*s || *s == '/')
		return false;
	while (*c) {
		size_t n = strcspn(c, "/");

		if (n == 2 && c[0] == '.' && c[1] == '.')
			return false;
		c += n;
		if (*c == '/')
			c++;
	}
	return true;
}

static int set_string(struct parse_state *st, char **dst, const char *value)
{
	char *copy = strdup(value);

	if (!copy)
		return state_fail(st, "out of memory");
	free(*dst);
	*dst = copy;
	return 1;
}

/* Splits value into words appended to list; each word checked by `check` when given. */
static int add_words(struct parse_state *st, const char *key, struct strlist *list,
                     bool (*check)(const char *), const char *what)
{
	struct err werr;
	struct strlist words = {0};
	size_t i;
	int ok = 1;

	if (words_split(key, &words, &werr) < 0) {
		strlist_clear(&words);
		return state_fail(st, "%s", werr.msg);
	}
	for (i = 0; i < words.n && ok; i++) {
		if (check && !check(words.v[i]))
			ok = state_fail(st, "bad %s '%s'", what, words.v[i]);
		else if (strlist_has(list, words.v[i]))
			continue;
		else if (strlist_push(list, words.v[i]) < 0)
			ok = state_fail(st, "out of memory");
	}
	strlist_clear(&words);
	return ok;
}

static bool check_secret_name(const char *s)
{
	return secret_name_check(s, NULL) == 0;
}

static bool check_path(const char *s)
{
	return valid_relative_path(s);
}

static bool check_pattern(const char *s)
{
	return *s && *s != '/';
}

static bool check_env_word(const char *s)
{
	const char *eq = strchr(s, '=');
	char name[MANIFEST_MAX_NAME + 1];

	if (!eq || (size_t)(eq - s) > MANIFEST_MAX_NAME)
		return false;
	memcpy(name, s, (size_t)(eq - s));
	name[eq - s] = '\0';
	return env_name_check(name, NULL) == 0;
}

/* The index of the env word for KEY ("KEY=..."), or -1. */
static ssize_t env_find(const struct strlist *env, const char *word)
{
	size_t klen = strcspn(word, "="), i;

	for (i = 0; i < env->n; i++)
		if (!strncmp(env->v[i], word, klen + 1))
			return (ssize_t)i;
	return -1;
}

/* env words, KEY=VALUE, each KEY once. */
static int add_env(struct parse_state *st, const char *value, struct strlist *env)
{
	struct err werr;
	struct strlist words = {0};
	size_t i;
	int ok = 1;

	if (words_split(value, &words, &werr) < 0) {
		strlist_clear(&words);
		return state_fail(st, "%s", werr.msg);
	}
	for (i = 0; i < words.n && ok; i++) {
		const char *w = words.v[i];

		if (!check_env_word(w))
			ok = state_fail(st, "bad env entry (want KEY=VALUE) '%s'", w);
		else if (env_find(env, w) >= 0)
			ok = state_fail(st, "env %.*s set twice", (int)strcspn(w, "="), w);
		else if (strlist_push(env, w) < 0)
			ok = state_fail(st, "out of memory");
	}
	strlist_clear(&words);
	return ok;
}

/* Claims key bit `bit` in the current section (in a service's, also records it in its
 * `set`); a second claim is a duplicate unless the line is an indented continuation of a
 * list key. */
static int claim(struct parse_state *st, unsigned bit, const char *name, bool list)
{
	if (st->indented) {
		if (!list)
			return state_fail(st, "'%s' cannot continue on an indented line", name);
		return 1;
	}
	if (st->seen & bit)
		return state_fail(st, "duplicate key '%s' in [%s]", name, st->section);
	st->seen |= bit;
	if (st->service)
		st->service->set |= bit;
	return 1;
}

static int app_key(struct parse_state *st, const char *name, const char *value)
{
	if (!strcmp(name, "name")) {
		struct err verr;

		if (!claim(st, K_NAME, name, false))
			return 0;
		if (app_name_check(value, &verr) < 0)
			return state_fail(st, "bad %s", verr.msg);
		st->cfg->app_origin = APP_FROM_FILE;
		return set_string(st, &st->cfg->app, value);
	}
	if (!strcmp(name, "build")) {
		if (!claim(st, K_BUILD, name, false))
			return 0;
		return set_string(st, &st->cfg->build, value);
	}
	return state_fail(st, "unknown key '%s' in [app] (known: name, build)", name);
}

static int bundle_key(struct parse_state *st, const char *name, const char *value)
{
	if (!strcmp(name, "include")) {
		if (!claim(st, K_INCLUDE, name, true))
			return 0;
		st->cfg->include_set = true;
		return add_words(st, value, &st->cfg->include, check_path, "include path");
	}
	if (!strcmp(name, "exclude")) {
		if (!claim(st, K_EXCLUDE, name, true))
			return 0;
		st->cfg->exclude_set = true;
		return add_words(st, value, &st->cfg->exclude, check_pattern, "exclude pattern");
	}
	return state_fail(st, "unknown key '%s' in [bundle] (known: include, exclude)", name);
}

static int secrets_key(struct parse_state *st, const char *name, const char *value)
{
	if (!strcmp(name, "required")) {
		if (!claim(st, K_REQUIRED, name, true))
			return 0;
		return add_words(st, value, &st->cfg->secrets_required, check_secret_name,
		                 "secret name");
	}
	if (!strcmp(name, "optional")) {
		if (!claim(st, K_OPTIONAL, name, true))
			return 0;
		return add_words(st, value, &st->cfg->secrets_optional, check_secret_name,
		                 "secret name");
	}
	return state_fail(st, "unknown key '%s' in [secrets] (known: required, optional)", name);
}

static int parse_ready(struct parse_state *st, struct pack_service *s, const char *value)
{
	free(s->ready_path);
	s->ready_path = NULL;
	free(s->ready_log);
	s->ready_log = NULL;
	if (!strcmp(value, "none")) {
		s->ready = READY_NONE;
		return 1;
	}
	if (!strcmp(value, "tcp")) {
		s->ready = READY_TCP;
		return 1;
	}
	if (!strncmp(value, "http", 4) && (value[4] == ' ' || value[4] == '\t' || !value[4])) {
		const char *path = value + 4;

		while (*path == ' ' || *path == '\t')
			path++;
		if (!*path)
			path = "/";
		if (*path != '/' || strpbrk(path, " \t\r\n"))
			return state_fail(st, "bad ready path '%s': must start with '/'", path);
		s->ready = READY_HTTP;
		return set_string(st, &s->ready_path, path);
	}
	if (!strncmp(value, "log", 3) && (value[3] == ' ' || value[3] == '\t')) {
		const char *text = value + 4;

		while (*text == ' ' || *text == '\t')
			text++;
		if (!*text || strlen(text) > MANIFEST_MAX_READY_LOG)
			return state_fail(st, "bad ready '%s': 'log TEXT' needs 1..%d characters",
			                  value, MANIFEST_MAX_READY_LOG);
		for (const char *p = text; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				return state_fail(st, "bad ready '%s': printable ASCII only",
				                  value);
		s->ready = READY_LOG;
		return set_string(st, &s->ready_log, text);
	}
	return state_fail(st, "bad ready '%s': expected 'http PATH', 'tcp', 'log TEXT' or 'none'",
	                  value);
}

static int service_key(struct parse_state *st, const char *name, const char *value)
{
	struct pack_service *s = st->service;
	struct err verr;

	if (!strcmp(name, "command")) {
		if (!claim(st, SVC_COMMAND, name, false))
			return 0;
		strlist_clear(&s->argv);
		if (words_split(value, &s->argv, &verr) < 0)
			return state_fail(st, "bad command: %s", verr.msg);
		if (s->argv.n == 0)
			return state_fail(st, "empty command");
		return set_string(st, &s->command, value);
	}
	if (!strcmp(name, "cwd")) {
		if (!claim(st, SVC_CWD, name, false))
			return 0;
		if (strcmp(value, ".") && !valid_relative_path(value))
			return state_fail(st,
			                  "bad cwd '%s': must be a relative path inside the "
			                  "release",
			                  value);
		return set_string(st, &s->cwd, value);
	}
	if (!strcmp(name, "port") || !strcmp(name, "health_port")) {
		bool health = name[0] == 'h';
		char *end;
		long port;

		if (!claim(st, health ? SVC_HEALTH_PORT : SVC_PORT, name, false))
			return 0;
		errno = 0;
		port = strtol(value, &end, 10);
		if (errno || end == value || *end || port < 1 || port > 65535)
			return state_fail(st, "bad %s '%s': expected 1-65535", name, value);
		*(health ? &s->health_port : &s->port) = (int)port;
		return 1;
	}
	if (!strcmp(name, "kill_mode")) {
		if (!claim(st, SVC_KILL_MODE, name, false))
			return 0;
		if (!strcmp(value, "process"))
			s->kill_mode = KILL_PROCESS;
		else if (!strcmp(value, "group"))
			s->kill_mode = KILL_GROUP;
		else
			return state_fail(st, "bad kill_mode '%s': expected 'process' or 'group'",
			                  value);
		return 1;
	}
	if (!strcmp(name, "ready")) {
		if (!claim(st, SVC_READY, name, false))
			return 0;
		return parse_ready(st, s, value);
	}
	if (!strcmp(name, "stop_timeout") || !strcmp(name, "ready_timeout")) {
		bool stop = name[0] == 's';
		uint64_t ms;

		if (!claim(st, stop ? SVC_STOP_TIMEOUT : SVC_READY_TIMEOUT, name, false))
			return 0;
		if (config_parse_duration_ms(value, &ms, &verr) < 0)
			return state_fail(st, "%s", verr.msg);
		if (ms == 0)
			return state_fail(st, "%s must be greater than zero", name);
		if (stop)
			s->stop_timeout_ms = ms;
		else
			s->ready_timeout_ms = ms;
		return 1;
	}
	if (!strcmp(name, "env")) {
		if (!claim(st, SVC_ENV, name, true))
			return 0;
		return add_env(st, value, &s->env);
	}
	if (!strcmp(name, "enabled")) {
		if (!claim(st, SVC_ENABLED, name, false))
			return 0;
		if (!strcmp(value, "yes") || !strcmp(value, "true"))
			s->enabled = true;
		else if (!strcmp(value, "no") || !strcmp(value, "false"))
			s->enabled = false;
		else
			return state_fail(st, "bad enabled '%s': expected yes or no", value);
		return 1;
	}
	return state_fail(st,
	                  "unknown key '%s' in [%s] (known: command, cwd, enabled, env, port, "
	                  "health_port, ready, ready_timeout, stop_timeout, kill_mode)",
	                  name, st->section);
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse_state *st = user;

	if (st->failed)
		return 0;
	st->have_prev_key = true;
	if (strcmp(section, st->section))
		return state_fail(st, "internal: section mismatch");
	if (!*section)
		return state_fail(st, "key '%s' outside of any section", name);
	/* libinih keeps a ';' right after "=" as text, but it would read as a comment once
	 * a blank precedes it: refuse the ambiguity (quote the word instead). */
	if (value[0] == ';')
		return state_fail(st, "the value of '%s' starts with ';': quote it", name);
	if (!strcmp(section, "app"))
		return app_key(st, name, value);
	if (!strcmp(section, "bundle"))
		return bundle_key(st, name, value);
	if (!strcmp(section, "secrets"))
		return secrets_key(st, name, value);
	if (st->service)
		return service_key(st, name, value);
	return state_fail(st, "unknown section [%s]", section);
}

/* Called for each "[...]" line before libinih sees it. Mirrors libinih's extraction: the
 * name is everything between '[' and the first ']' (or an inline comment). */
static void on_section_line(struct parse_state *st, const char *line)
{
	const char *start = line + 1, *end;
	char name[256];
	size_t n, i;

	end = start;
	while (*end && *end != ']' &&
	       !(*end == ';' && end > start && isspace((unsigned char)end[-1])))
		end++;
	if (*end != ']')
		return; /* libinih reports the syntax error */
	n = (size_t)(end - start);
	if (n >= sizeof(name)) {
		state_fail(st, "section name too long");
		return;
	}
	memcpy(name, start, n);
	name[n] = '\0';
	memcpy(st->section, name, n + 1);
	st->seen = 0;
	st->service = NULL;
	st->have_prev_key = false;
	if (!strcmp(name, "app") || !strcmp(name, "bundle") || !strcmp(name, "secrets"))
		return;
	if (!strncmp(name, "service ", 8)) {
		const char *sname = name + 8;
		struct err verr;

		if (service_name_check(sname, &verr) < 0) {
			state_fail(st, "bad %s", verr.msg);
			return;
		}
		for (i = 0; i < st->cfg->n_services; i++)
			if (!strcmp(st->cfg->services[i].name, sname)) {
				state_fail(st, "duplicate section [service %s]", sname);
				return;
			}
		st->service = config_add_service(st->cfg, sname);
		if (!st->service) {
			state_fail(st, "too many services (at most %d) or out of memory",
			           CONFIG_MAX_SERVICES);
			return;
		}
		return;
	}
	state_fail(st, "unknown section [%s] (known: app, bundle, secrets, service NAME)", name);
}

static char *read_line(char *buf, int num, void *stream)
{
	struct parse_state *st = stream;
	size_t start = st->pos, n, copy;
	const char *line;

	if (st->failed || st->pos >= st->len)
		return NULL;
	while (st->pos < st->len && st->text[st->pos] != '\n')
		st->pos++;
	n = st->pos - start;
	if (st->pos < st->len)
		st->pos++; /* the newline */
	st->lineno++;
	line = st->text + start;
	if (memchr(line, '\0', n)) {
		state_fail(st, "NUL byte in line");
		return NULL;
	}
	if (st->lineno == 1 && n >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) {
		line += 3;
		n -= 3;
		start += 3;
	}
	copy = n;
	if (copy && line[copy - 1] == '\r')
		copy--;
	if (copy + 2 > (size_t)num) {
		state_fail(st, "line longer than %d characters; continue lists on indented lines",
		           num - 2);
		return NULL;
	}
	for (size_t i = 0; i < copy; i++)
		if (((unsigned char)line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f) {
			state_fail(st, "control character 0x%02x in line", (unsigned char)line[i]);
			return NULL;
		}
	memcpy(buf, line, copy);
	buf[copy] = '\n';
	buf[copy + 1] = '\0';
	{
		size_t i = 0;

		while (i < copy && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i < copy && line[i] == '[') {
			if (i > 0) {
				state_fail(st, "a [section] header must start at the beginning of "
				               "the line");
				return NULL;
			}
			on_section_line(st, buf);
		}
		/* libinih continues the previous key on an indented line, once a key was seen
		 * in the section; otherwise it parses the line as a key of its own. */
		st->indented = i > 0 && i < copy && st->have_prev_key;
	}
	if (st->failed)
		return NULL;
	return buf;
}

int config_parse(const char *text, size_t len, const char *file, struct pack_config *cfg,
                 struct err *err)
{
	struct parse_state st;
	size_t i;
	int line;

	memset(&st, 0, sizeof(st));
	st.cfg = cfg;
	st.file = file;
	st.text = text;
	st.len = len;
	st.err = err;
	line = ini_parse_stream(read_line, &st, on_key, &st);
	if (st.failed)
		return -1;
	if (line != 0) {
		if (line < 0)
			return fail(err, "%s: cannot parse: out of memory", file);
		return fail(err,
		            "%s:%d: syntax error: expected [section], key = value or a comment",
		            file, line);
	}
	for (i = 0; i < cfg->secrets_optional.n; i++)
		if (strlist_has(&cfg->secrets_required, cfg->secrets_optional.v[i]))
			return fail(err, "%s: secret %s is both required and optional", file,
			            cfg->secrets_optional.v[i]);
	cfg->file = strdup(file);
	if (!cfg->file)
		return fail_oom(err);
	return 0;
}

int config_load(int project_fd, const char *display_dir, struct pack_config *cfg, struct err *err)
{
	char *text = NULL, path[4096];
	size_t len = 0;
	int r;

	snprintf(path, sizeof(path), "%s/%s", display_dir, CONFIG_NAME);
	if (faccessat(project_fd, CONFIG_NAME, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return fail_sys(err, "cannot read %s", path);
	}
	if (read_file_at(project_fd, CONFIG_NAME, CONFIG_MAX_BYTES, 0, &text, &len, err) < 0)
		return fail_prefix(err, "cannot read %s", path);
	r = config_parse(text, len, path, cfg, err);
	free(text);
	return r;
}
