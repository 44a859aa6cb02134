/* Plain Kubernetes YAML for an exported image (specs/oci.md "Kubernetes"): per service one
 * Deployment (rolling update with maxUnavailable 0, readinessProbe from `ready`,
 * terminationGracePeriodSeconds from the stop timeout, the secrets' names from one Secret),
 * and a Service for every service with a port. Never a secret's value. */
#ifndef SLIPWAY_OCI_K8S_H
#define SLIPWAY_OCI_K8S_H

#include "release/oci/oci.h"

#include <stddef.h>

struct oci_k8s {
	const struct manifest *m;
	const char *image; /* the reference written in every `image:` field */
	const struct oci_service *services;
	size_t n_services;
	size_t main; /* the service the image runs by default: its variables are in the image */
};

/* Checks that the app's and services' names give valid, distinct Kubernetes names
 * (specs/oci.md "Names"), so a refusal comes before anything is written. */
int oci_k8s_check(const struct oci_k8s *k, struct err *err);

/* The YAML documents, a heap string owned by the caller. */
int oci_k8s_yaml(const struct oci_k8s *k, char **out, size_t *len, struct err *err);

/* The image reference for the YAML: NAME:TAG@DIGEST, or NAME@DIGEST when TAG is not a valid
 * Docker tag. NAME NULL: the app's name in lowercase. Heap string, NULL on OOM. */
char *oci_k8s_image_ref(const char *name, const char *app, const char *tag, const char *digest);

/* A usable image name for --k8s-image: no whitespace, quote, control byte or '@'. */
int oci_k8s_image_name_check(const char *name, struct err *err);

#endif
