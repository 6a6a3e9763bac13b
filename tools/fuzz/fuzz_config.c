/* libFuzzer harness of the trainer's YAML config loader: any byte string is
 * a config or refused with a message; never a crash, leak or UB. */
#include "symgnn_tr_config.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  symgnn_tr_config cfg;
  char msg[1024] = "";
  symgnn_tr_config_defaults(&cfg);
  if (symgnn_tr_config_parse((const char *)data, size, "fuzz.yaml", &cfg, msg, sizeof msg)) {
    if (msg[0] == '\0') abort();
    return 0;
  }
  char summary[2048];
  symgnn_tr_config_summary(&cfg, summary, sizeof summary);
  symgnn_tr_config_free(&cfg);
  return 0;
}
