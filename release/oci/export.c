/* oci_export_image (specs/oci.md "Export"); see oci.h. */
#include "release/oci/oci.h"
#include "release/base/error.h"
#include "release/base/fileio.h"
#include "release/oci/image.h"
#include "release/oci/layer.h"
#include "release/oci/layout.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LAYER_MEDIA_PREFIX "application/vnd.oci.image.layer."

char *oci_release_dir(const char *app, const char *version)
{
	char *dir;

	return asprintf(&dir, OCI_ROOT "/%s/releases/%s", app, version) < 0 ? NULL : dir;
}

static bool alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

int oci_tag_check(const char *tag, struct err *err)
{
	const char *p = tag;

	if (!*tag || strlen(tag) > 128)
		return fail(err, "invalid tag '%.140s': 1 to 128 characters", tag);
	while (*p) {
		if (!alnum(*p))
			goto bad;
		while (alnum(*p))
			p++;
		if (!*p)
			return 0;
		if (p[0] == '-' && p[1] == '-')
			p += 2;
		else if (strchr("-._:@+/", *p))
			p++;
		else
			goto bad;
		if (!*p)
			goto bad;
	}
bad:
	return fail(err,
	            "invalid tag '%.140s': letters and digits separated by single '-', '.', '_', "
	            "':', '@', '+', '/' or '--'",
	            tag);
}

struct export_ctx {
	const struct oci_export *x;
	struct oci_result *res;
	struct oci_layout base, out;
	struct oci_desc base_manifest, config_desc, layer;
	json_object *manifest, *config;
	json_object *layers; /* the base manifest's layer descriptors (borrowed from manifest) */
	size_t n_layers;
	char diff_id[OCI_DIGEST_LEN + 1];
};

static int read_base(struct export_ctx *c, struct err *err)
{
	const struct oci_export *x = c->x;
	json_object *cfg, *mt;
	struct err e2;

	if (oci_layout_open(x->base_layout, &c->base, err) < 0 ||
	    oci_layout_resolve(&c->base, x->base_ref, &c->base_manifest, err) < 0 ||
	    oci_blob_read_json(&c->base, &c->base_manifest, &c->manifest, err) < 0)
		return fail_prefix(err, "base image");
	if (!json_object_object_get_ex(c->manifest, "config", &cfg) ||
	    oci_desc_parse(cfg, "base image manifest config", &c->config_desc, &e2) < 0 ||
	    !json_object_object_get_ex(c->manifest, "layers", &c->layers) ||
	    !json_object_is_type(c->layers, json_type_array)) {
		return fail(err, "base image: %s: not an image manifest with a config and layers",
		            c->base_manifest.digest);
	}
	if ((json_object_object_get_ex(c->manifest, "mediaType", &mt) &&
	     strcmp(json_object_get_string(mt), OCI_MEDIA_MANIFEST)) ||
	    strcmp(c->config_desc.media_type, OCI_MEDIA_CONFIG)) {
		return fail(err, "base image: %s is not an OCI image (config %s)",
		            c->base_manifest.digest, c->config_desc.media_type);
	}
	c->n_layers = json_object_array_length(c->layers);
	for (size_t i = 0; i < c->n_layers; i++) {
		struct oci_desc d;

		if (oci_desc_parse(json_object_array_get_idx(c->layers, i), "base image layer", &d,
		                   err) < 0 ||
		    (strncmp(d.media_type, LAYER_MEDIA_PREFIX, strlen(LAYER_MEDIA_PREFIX)) &&
		     fail(err, "base image layer %zu has media type %s, not an OCI layer", i,
		          d.media_type) < 0))
			return -1;
	}
	if (oci_blob_read_json(&c->base, &c->config_desc, &c->config, err) < 0)
		return fail_prefix(err, "base image config");
	return 0;
}

static int copy_layers(struct export_ctx *c, struct err *err)
{
	if (oci_layout_same(&c->base, &c->out))
		return 0;
	for (size_t i = 0; i < c->n_layers; i++) {
		struct oci_desc d;

		if (oci_desc_parse(json_object_array_get_idx(c->layers, i), "base image layer", &d,
		                   err) < 0 ||
		    oci_blob_copy(&c->base, &c->out, &d, err) < 0)
			return fail_prefix(err, "base image");
	}
	return 0;
}

static int write_json_blob(struct export_ctx *c, json_object *doc, const char *media_type,
                           struct oci_desc *d, struct err *err)
{
	size_t len = 0;
	char *text = oci_json_text(doc, &len);
	int rc;

	if (!text)
		return fail_oom(err);
	strcpy(d->media_type, media_type);
	rc = oci_blob_write(&c->out, text, len, d, err);
	free(text);
	return rc;
}

static int write_image(struct export_ctx *c, struct err *err)
{
	const struct oci_export *x = c->x;
	struct oci_layer_in in = {
	    .treefd = x->treefd, .m = x->m, .mtime = manifest_build_epoch(x->m)};
	struct oci_desc config, manifest;
	json_object *doc = NULL, *layers;
	char *prefix = NULL;
	int rc = -1;

	if (asprintf(&prefix, "%s/%s", &OCI_ROOT[1], x->m->app) < 0)
		return fail_oom(err);
	in.prefix = prefix;
	if (oci_layer_write(&c->out, &in, &c->layer, c->diff_id, err) < 0)
		goto out;
	if (oci_config_apply(c->config, x, c->base_manifest.digest, c->diff_id, c->n_layers, err) <
	    0) {
		fail_prefix(err, "base image config");
		goto out;
	}
	if (write_json_blob(c, c->config, OCI_MEDIA_CONFIG, &config, err) < 0)
		goto out;
	doc = json_object_new_object();
	layers = json_object_new_array();
	for (size_t i = 0; i < c->n_layers; i++)
		json_object_array_add(layers,
		                      json_object_get(json_object_array_get_idx(c->layers, i)));
	json_object_array_add(layers, oci_desc_json(&c->layer));
	json_object_object_add(doc, "schemaVersion", json_object_new_int(2));
	json_object_object_add(doc, "mediaType", json_object_new_string(OCI_MEDIA_MANIFEST));
	json_object_object_add(doc, "config", oci_desc_json(&config));
	json_object_object_add(doc, "layers", layers);
	json_object_object_add(doc, "annotations", oci_labels(x, c->base_manifest.digest));
	if (write_json_blob(c, doc, OCI_MEDIA_MANIFEST, &manifest, err) < 0 ||
	    oci_layout_tag(&c->out, &manifest, x->tag, err) < 0)
		goto out;
	strcpy(c->res->digest, manifest.digest);
	rc = 0;
out:
	json_object_put(doc);
	free(prefix);
	return rc;
}

int oci_export_image(const struct oci_export *x, struct oci_result *res, struct err *err)
{
	struct export_ctx c = {.x = x, .res = res};
	int rc = -1;

	memset(res, 0, sizeof(*res));
	c.base.dirfd = c.base.blobfd = c.out.dirfd = c.out.blobfd = -1;
	if (x->main >= x->n_services)
		return fail_kind(err, ERR_SYSTEM, "internal error: no service to run");
	/* Everything about the base is read and checked before the output is touched. */
	if (read_base(&c, err) < 0)
		goto out;
	if (oci_layout_create(x->out_layout, &c.out, &res->layout_created, err) < 0)
		goto out;
	if (copy_layers(&c, err) < 0 || write_image(&c, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0 && res->layout_created) {
		remove_tree_at(AT_FDCWD, x->out_layout, NULL);
	}
	oci_layout_close(&c.out);
	oci_layout_close(&c.base);
	json_object_put(c.manifest);
	json_object_put(c.config);
	return rc;
}
