/* nimrecord.h - nimbus's durable record of the topologies it runs.
 *
 * One directory per topology, ROOT/topologies/NAME/ (ROOT is the cluster
 * file's nimbus.dir), holding
 *   topology.cfg   the text that was submitted, byte for byte
 *   record         key=value lines: name, status, slot, submitted (unix
 *                  seconds), cwd, one arg= line per run option of the
 *                  master (in order), pid (the master's, 0: none) and
 *                  restarts
 *   master.log     the master's stdout and stderr (appended)
 * Both files are replaced atomically: written to a temporary name,
 * fsynced, renamed, and the directory fsynced, so that after a crash a
 * file is either the old or the new version, never a mix. docs/nimbus.md
 * describes the layout. Plain functions of the caller's thread.
 */
#ifndef GALE_CLUSTER_NIMRECORD_H
#define GALE_CLUSTER_NIMRECORD_H

#include <stdbool.h>
#include <stddef.h>

/* A topology's lifecycle as nimbus records it. */
typedef enum gale_nimrec_status {
    GALE_NIMREC_ACTIVE,     /* its master runs, or is (re)started */
    GALE_NIMREC_KILLING,    /* killed: the record goes when the master does */
    GALE_NIMREC_FINISHED,   /* the master exited 0: bounded input done */
    GALE_NIMREC_FAILED,     /* the master refused its input (exit 2) */
} gale_nimrec_status_t;

/* One topology's record. Every string is owned by the record. */
typedef struct gale_nimrec {
    char *name;                 /* the topology's name (its directory) */
    gale_nimrec_status_t status;
    int slot;                   /* its port slot, >= 0 */
    long long submitted;        /* unix seconds of the submit */
    char *cwd;                  /* the submitter's directory */
    char **args;                /* run options for the master, in order */
    size_t nargs;
    int pid;                    /* its master's pid; 0 when none */
    int restarts;               /* masters started after the first */
} gale_nimrec_t;

/* "active", "killing", "finished" or "failed". */
const char *gale_nimrec_status_name(gale_nimrec_status_t s);
/* Whether s holds its slot (a master runs or will run for it). */
bool gale_nimrec_live(gale_nimrec_status_t s);
/* Whether name may name a topology's directory and console: 1 to 128 of
 * [A-Za-z0-9._-], not starting with '.'. */
bool gale_nimrec_name_ok(const char *name);

/* ROOT/topologies/NAME (caller frees). */
char *gale_nimrec_dir(const char *root, const char *name);

/* A new record (status active, no pid) with copies of the strings. */
gale_nimrec_t *gale_nimrec_new(const char *name, int slot, const char *cwd,
    char *const *args, size_t nargs);
/* Frees *rp and sets it to NULL. Accepts NULL and *NULL. */
void gale_nimrec_destroy(gale_nimrec_t **rp);
/* Appends a copy of arg to r's run options. */
void gale_nimrec_add_arg(gale_nimrec_t *r, const char *arg);

/* Writes ROOT/topologies/NAME/topology.cfg with len bytes of text,
 * making the directory when missing. 0 or -errno. */
int gale_nimrec_save_text(const char *root, const char *name,
    const char *text, size_t len);
/* Writes r's record file (its directory must exist). Strings holding a
 * newline cannot be written: -EINVAL. 0 or -errno. */
int gale_nimrec_save(const char *root, const gale_nimrec_t *r);
/* Reads NAME's record. NULL with *cause (caller frees) when it is missing
 * or not a record. */
gale_nimrec_t *gale_nimrec_load(const char *root, const char *name,
    char **cause);
/* Removes NAME's directory: renamed away first (one atomic step), then
 * deleted. 0 or -errno. */
int gale_nimrec_remove(const char *root, const char *name);
/* The names of the records under root, sorted (*names and each name
 * owned by the caller). 0 (none when the directory is missing) or -errno. */
int gale_nimrec_list(const char *root, char ***names, size_t *n);

#endif
