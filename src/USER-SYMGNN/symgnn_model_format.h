/* Extension API (symgnn_ext.h): constants of the model file formats v1 and v2
 * (doc/model-format.md). */
#ifndef SYMGNN_MODEL_FORMAT_H
#define SYMGNN_MODEL_FORMAT_H

/* 8 bytes: "SYMGNN", a NUL (binary file, stops C-string tools) and 0x1A (Ctrl-Z). */
#define SYMGNN_MODEL_MAGIC "SYMGNN\0\x1a"
#define SYMGNN_MODEL_MAGIC_LEN 8
/* Ensemble files (several models in one file, doc/model-format.md section 9)
 * start with their own 8 bytes and have their own version. */
#define SYMGNN_ENSEMBLE_MAGIC "SYMGNN\x01\x1a"
#define SYMGNN_ENSEMBLE_FORMAT_VERSION 1u
#define SYMGNN_ENSEMBLE_MAX_MEMBERS 64u
/* Highest format version this library reads, and the one it writes. v1 has
 * no symmetrization kind field (its models always store transforms). */
#define SYMGNN_MODEL_FORMAT_VERSION 2u
#define SYMGNN_MODEL_FORMAT_OLDEST 1u
/* Fixed size of one element-name field: the name, then NUL padding. */
#define SYMGNN_MODEL_NAME_FIELD SYMGNN_NAME_LEN
/* Caps on counts and string lengths, so no malformed file makes the reader
 * allocate or loop absurdly. */
#define SYMGNN_MODEL_MAX_UNITS 15u
#define SYMGNN_MODEL_MAX_TRANSFORMS 4096u
#define SYMGNN_MODEL_MAX_PROVENANCE 1024u
#define SYMGNN_MODEL_MAX_KEY 64u
#define SYMGNN_MODEL_MAX_VALUE 4096u
#define SYMGNN_MODEL_MAX_WIDTH 4096

/* Constants of the model that the format fixes and does not store (model
 * spec 4.3): the BatchNorm epsilon and the LeakyReLU slope of the attention
 * pre-activation. The evaluation and the training kernels both use these. */
#define SYMGNN_BN_EPS 1.0e-5
#define SYMGNN_LEAKY_SLOPE 0.01f

#endif
