/* symgnn-model's ensemble commands (symgnn_model_cli_ensemble.c). Both
 * return the process exit status: 0 success, 1 error (message on stderr). */
#ifndef SYMGNN_MODEL_CLI_H
#define SYMGNN_MODEL_CLI_H

/* `ensemble OUT MODEL...`: the n model files as one ensemble file OUT. */
int symgnn_cli_ensemble(const char *out, int n, char **models);
/* `member ENSEMBLE K -o OUT`: member K (1-based text) as a model file OUT. */
int symgnn_cli_member(const char *ensemble, const char *k, const char *out);

#endif
