/* Extension API (symgnn_ext.h): SYMGNN_HOT marks the hot elementwise kernels (forward and
 * training). They are built for AVX-512, AVX2 and baseline x86-64 and picked at load time (GCC
 * function multiversioning), so one binary runs everywhere and still uses wide
 * vectors where the CPU has them. SYMGNN_MULTIVERSION says whether this is
 * available (kernels that need per-ISA register blocking dispatch by hand,
 * on symgnn_cpu_isa below). */
#ifndef SYMGNN_MULTIVERSION_H
#define SYMGNN_MULTIVERSION_H

#if defined(__GNUC__) && __GNUC__ >= 12 && !defined(__clang__) && defined(__x86_64__) &&           \
    defined(__linux__) /* x86-64-v3/v4 in target() and __builtin_cpu_supports: GCC 12 */
#define SYMGNN_MULTIVERSION 1
#define SYMGNN_HOT __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SYMGNN_MULTIVERSION 0
#define SYMGNN_HOT
#endif

/* Instruction sets of the hand-dispatched kernels (the forward pass's edge
 * tiles, the trainer's block GEMMs), in increasing order. */
enum { SYMGNN_ISA_GENERIC = 0, SYMGNN_ISA_AVX2 = 1, SYMGNN_ISA_AVX512 = 2 };

/* The best of them this CPU runs (a cheap query of the features the loader
 * already read); callers may choose a lower one. Defined in symgnn_threads.c. */
int symgnn_cpu_isa(void);

#endif
