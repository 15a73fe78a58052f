/* vertex.c - Flux spouts and bolts -> gale components (vertex.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "compat/flux/cfg.h"
#include "compat/flux/classes.h"
#include "compat/flux/conv.h"
#include "compat/flux/dslwriter.h"
#include "compat/flux/kafka.h"
#include "compat/flux/vertex.h"
#include "compat/flux/windowing.h"
#include "topology/suggest.h"

static const char *const vertex_keys[] = { "id", "className",
    "constructorArgs", "properties", "configMethods", "factory",
    "factoryArgs", "parallelism", "numTasks", "onHeapMemoryLoad",
    "offHeapMemoryLoad", "cpuLoad", "config" };
static const char *const method_keys[] = { "name", "args" };

/* Adds (or replaces) declared stream id of o. */
static void
decl_set(gale_flux_comp_t *o, const char *id, gale_value_t *fields)
{
    size_t i;

    for (i = 0; i < o->ndecls; i++) {
        if (strcmp(o->decls[i].id, id) == 0) {
            gale_value_destroy(&o->decls[i].fields);
            o->decls[i].fields = fields;
            return;
        }
    }
    o->decls = xreallocarray(o->decls, o->ndecls + 1, sizeof(*o->decls));
    o->decls[o->ndecls].id = xstrdup(id);
    o->decls[o->ndecls].fields = fields;
    o->decls[o->ndecls].direct = false;
    o->ndecls++;
}

/* Reads a per-component `config` mapping (Storm's master-only vertex
 * config) into o's cfg. */
static void
vertex_config(gale_flux_conv_t *c, gale_flux_comp_t *o, const gale_ynode_t *m,
    const char *ctx)
{
    size_t i;

    if (m->kind != GALE_Y_MAP) {
        if (!gale_ynode_is_null(m))
            gale_flux_err(c, m, "%s`config` must be a mapping, not %s", ctx,
                gale_ynode_phrase(m));
        return;
    }
    for (i = 0; i < m->n; i++)
        gale_flux_cfg_add(c, &o->cfg, m->keys[i], m->keys[i]->text,
            m->items[i], true, ctx);
}

/* The args list of a configMethod, checked to have n entries. */
static const gale_ynode_t *
method_args(gale_flux_conv_t *c, const gale_ynode_t *meth, const char *name,
    size_t n, const char *ctx)
{
    const gale_ynode_t *a = gale_ynode_get(meth, "args");

    if (a == NULL || a->kind != GALE_Y_SEQ || a->n != n) {
        gale_flux_err(c, a != NULL ? a : meth, "%sconfigMethod `%s` takes %zu "
            "argument%s", ctx, name, n, n == 1 ? "" : "s");
        return NULL;
    }
    return a;
}

/* The configMethods of a FluxShellSpout/FluxShellBolt. */
static void
shell_methods(gale_flux_conv_t *c, gale_flux_comp_t *o,
    const gale_ynode_t *list, const char *ctx)
{
    static const char *const known[] = { "setDefaultStream",
        "setNamedStream", "addComponentConfig", "setEnv", "changeChildCWD" };
    const gale_ynode_t *m, *nm, *a;
    const char *name, *hint, *sid, *key;
    gale_value_t *fields, *v;
    bool b;
    size_t i, j;

    if (list->kind != GALE_Y_SEQ) {
        gale_flux_err(c, list, "%s`configMethods` must be a list, not %s", ctx,
            gale_ynode_phrase(list));
        return;
    }
    for (i = 0; i < list->n; i++) {
        m = list->items[i];
        if (m->kind != GALE_Y_MAP) {
            gale_flux_err(c, m, "%seach configMethod must be a mapping", ctx);
            continue;
        }
        gale_flux_check_keys(c, m, ctx, method_keys, NELEM(method_keys));
        if ((nm = gale_ynode_get(m, "name")) == NULL) {
            gale_flux_err(c, m, "%sconfigMethod without a `name`", ctx);
            continue;
        }
        if ((name = gale_flux_scalar(c, nm, ctx, "name")) == NULL)
            continue;
        if (strcmp(name, "setDefaultStream") == 0) {
            if ((a = method_args(c, m, name, 1, ctx)) != NULL &&
                (fields = gale_flux_strings(c, a->items[0], ctx,
                "setDefaultStream's fields")) != NULL)
                decl_set(o, "default", fields);
        } else if (strcmp(name, "setNamedStream") == 0) {
            if ((a = method_args(c, m, name, 2, ctx)) == NULL ||
                (sid = gale_flux_scalar(c, a->items[0], ctx,
                "setNamedStream's stream")) == NULL)
                continue;
            if ((fields = gale_flux_strings(c, a->items[1], ctx,
                "setNamedStream's fields")) != NULL)
                decl_set(o, sid, fields);
        } else if (strcmp(name, "addComponentConfig") == 0) {
            if ((a = method_args(c, m, name, 2, ctx)) != NULL &&
                (key = gale_flux_scalar(c, a->items[0], ctx,
                "addComponentConfig's key")) != NULL)
                gale_flux_cfg_add(c, &o->cfg, a->items[0], key, a->items[1],
                    true, ctx);
        } else if (strcmp(name, "setEnv") == 0) {
            if ((a = method_args(c, m, name, 1, ctx)) == NULL)
                continue;
            if (a->items[0]->kind != GALE_Y_MAP) {
                gale_flux_err(c, a->items[0],
                    "%ssetEnv takes a mapping of variables", ctx);
                continue;
            }
            if (o->env == NULL)
                o->env = gale_value_map();
            for (j = 0; j < a->items[0]->n; j++) {
                const gale_ynode_t *ev = a->items[0]->items[j];

                if (ev->kind != GALE_Y_SCALAR || gale_ynode_is_null(ev) ||
                    !gale_dslw_is_name(a->items[0]->keys[j]->text)) {
                    gale_flux_err(c, ev,
                        "%ssetEnv: variable `%s` must be a name with "
                        "a string value", ctx, a->items[0]->keys[j]->text);
                    continue;
                }
                gale_value_map_set(o->env, a->items[0]->keys[j]->text,
                    gale_value_string(ev->text, ev->len));
            }
        } else if (strcmp(name, "changeChildCWD") == 0) {
            if ((a = method_args(c, m, name, 1, ctx)) != NULL &&
                gale_flux_bool(c, a->items[0], ctx, "changeChildCWD", &b) == 0)
                gale_flux_note(o, "changeChildCWD(%s): Storm runs the command in %s",
                    b ? "true" : "false", b ? "the topology's resources/ "
                    "directory" : "the worker's directory");
        } else {
            hint = gale_suggest(name, known, NELEM(known));
            gale_flux_err(c, nm,
                "%sconfigMethod `%s` has no gale equivalent (a shell "
                "component takes %s)%s%s%s", ctx, name, "setDefaultStream, "
                "setNamedStream, addComponentConfig, setEnv and "
                "changeChildCWD", hint != NULL ? " (did you mean `" : "",
                hint != NULL ? hint : "", hint != NULL ? "`?)" : "");
        }
        (void)v;
    }
}

/* Converts one spout or bolt def. */
void
gale_flux_vertex_convert(gale_flux_conv_t *c, const gale_ynode_t *d,
    gale_kind_t kind)
{
    const char *kname = kind == GALE_SPOUT ? "spout" : "bolt", *cls, *f;
    const gale_ynode_t *n, *ca;
    gale_flux_comp_t *o;
    char *ctx, *fl, *tok, *save;
    gale_value_t *fields;
    bool distributed;
    size_t i;

    c->oc = xreallocarray(c->oc, c->noc + 1, sizeof(*c->oc));
    o = &c->oc[c->noc++];
    memset(o, 0, sizeof(*o));
    o->node = d;
    o->id = gale_ynode_get(d, "id")->text;
    o->kind = kind;
    gale_flux_cfg_init(&o->cfg);
    xasprintf(&ctx, "%s `%s`: ", kname, o->id);
    gale_flux_check_keys(c, d, ctx, vertex_keys, NELEM(vertex_keys));
    if ((n = gale_ynode_get(d, "parallelism")) != NULL)
        gale_flux_int(c, n, ctx, "parallelism", 1, &o->parallelism);
    if ((n = gale_ynode_get(d, "numTasks")) != NULL)
        gale_flux_int(c, n, ctx, "numTasks", 1, &o->tasks);
    if (o->tasks > 0 && o->tasks < (o->parallelism > 0 ? o->parallelism : 1)) {
        gale_flux_warn(c, n,
            "%snumTasks (%lld) is fewer than parallelism (%lld): "
            "Storm runs one executor per task, so parallelism becomes %lld",
            ctx, o->tasks, o->parallelism, o->tasks);
        gale_flux_note(o, "Flux parallelism %lld capped to numTasks", o->parallelism);
        o->parallelism = o->tasks;
    }
    for (i = 0; i < 3; i++) {
        static const char *const res[] = { "onHeapMemoryLoad",
            "offHeapMemoryLoad", "cpuLoad" };

        if ((n = gale_ynode_get(d, res[i])) != NULL) {
            gale_flux_warn(c, n,
                "%s`%s` (resource-aware scheduling) has no effect in "
                "gale", ctx, res[i]);
            gale_flux_note(o, "Flux %s: %s (resource-aware scheduling; no effect in "
                "gale)", res[i], n->kind == GALE_Y_SCALAR ? n->text : "...");
        }
    }
    if ((n = gale_ynode_get(d, "config")) != NULL)
        vertex_config(c, o, n, ctx);
    if ((n = gale_ynode_get(d, "className")) == NULL) {
        gale_flux_err(c, d, "%smissing `className`", ctx);
        goto out;
    }
    if ((cls = gale_flux_scalar(c, n, ctx, "className")) == NULL)
        goto out;
    if ((o->cls = gale_flux_class_find(cls)) == NULL) {
        gale_flux_err(c, n,
            "%sJava class `%s` has no gale equivalent (docs/flux.md "
            "lists the classes that convert; write it as a FluxShell%s or a "
            "gale plugin)", ctx, cls, kind == GALE_SPOUT ? "Spout" : "Bolt");
        goto out;
    }
    if (o->cls->kind != kind) {
        gale_flux_err(c, n, "%s`%s` is a %s, not a %s", ctx, cls,
            o->cls->kind == GALE_SPOUT ? "spout" : "bolt", kname);
        o->cls = NULL;
        goto out;
    }
    if ((n = gale_ynode_key(d, "factory")) != NULL)
        gale_flux_err(c, n,
            "%s`factory` (a static Java factory method) has no gale "
            "equivalent", ctx);
    if ((n = gale_ynode_key(d, "factoryArgs")) != NULL &&
        gale_ynode_key(d, "factory") == NULL)
        gale_flux_err(c, n, "%s`factoryArgs` without `factory`", ctx);
    if ((n = gale_ynode_key(d, "properties")) != NULL)
        gale_flux_err(c, n,
            "%s`properties` (Java setters and fields) have no gale "
            "equivalent for `%s`", ctx, cls);
    if (o->cls->fields != NULL) {
        fields = gale_value_list();
        fl = xstrdup(o->cls->fields);
        for (tok = strtok_r(fl, ",", &save); tok != NULL;
            tok = strtok_r(NULL, ",", &save))
            gale_value_list_append(fields, gale_value_string(tok,
                strlen(tok)));
        free(fl);
        decl_set(o, "default", fields);
    }
    ca = gale_ynode_get(d, "constructorArgs");
    switch (o->cls->args) {
    case GALE_FLUX_ARGS_SHELL:
        if (ca == NULL || ca->kind != GALE_Y_SEQ || ca->n < 1 || ca->n > 2) {
            gale_flux_err(c, ca != NULL ? ca : d, "%s%s takes constructorArgs "
                "[command] or [command, output fields]", ctx, cls);
            break;
        }
        o->cmd = gale_flux_strings(c, ca->items[0], ctx, "the command");
        if (o->cmd != NULL && o->cmd->u.list.len == 0) {
            gale_flux_err(c, ca->items[0], "%sthe command must not be empty",
                ctx);
            gale_value_destroy(&o->cmd);
        }
        if (ca->n == 2 && (fields = gale_flux_strings(c, ca->items[1], ctx,
            "the output fields")) != NULL)
            decl_set(o, "default", fields);
        break;
    case GALE_FLUX_ARGS_KAFKA:
        gale_flux_kafka_spout(c, o, ca, ctx);
        break;
    case GALE_FLUX_ARGS_DISTRIBUTED:
        if (ca == NULL)
            break;
        if (ca->kind != GALE_Y_SEQ || ca->n > 1) {
            gale_flux_err(c, ca,
                "%s%s takes constructorArgs [] or [isDistributed]", ctx, cls);
            break;
        }
        if (ca->n == 1 && gale_flux_bool(c, ca->items[0], ctx, "isDistributed",
            &distributed) == 0 && !distributed) {
            /* Storm: a non-distributed TestWordSpout asks for one task. */
            gale_value_map_set(o->cfg.dsl, "max_task_parallelism",
                gale_value_int(1));
        }
        break;
    default:
        if (ca != NULL && !(ca->kind == GALE_Y_SEQ && ca->n == 0))
            gale_flux_err(c, ca, "%s%s takes no constructorArgs", ctx, cls);
        break;
    }
    n = gale_ynode_get(d, "configMethods");
    if (o->cls->windowed)
        gale_flux_windowing_methods(c, o, n, ctx);
    else if (n != NULL) {
        if (o->cls->args == GALE_FLUX_ARGS_SHELL)
            shell_methods(c, o, n, ctx);
        else if (n->kind == GALE_Y_SEQ && n->n > 0) {
            const gale_ynode_t *nm = gale_ynode_get(n->items[0], "name");

            f = nm != NULL && nm->kind == GALE_Y_SCALAR ? nm->text : "?";
            gale_flux_err(c, n->items[0],
                "%sconfigMethod `%s` of `%s` has no gale "
                "equivalent", ctx, f, cls);
        }
    }
out:
    free(ctx);
}

/* Index of the converted component with this id, or -1. */
int
gale_flux_vertex_find(const gale_flux_conv_t *c, const char *id)
{
    size_t i;

    for (i = 0; i < c->noc; i++)
        if (strcmp(c->oc[i].id, id) == 0)
            return (int)i;
    return -1;
}

/* The declared stream id of component o, or NULL. */
gale_flux_decl_t *
gale_flux_vertex_decl(gale_flux_comp_t *o, const char *id)
{
    size_t i;

    for (i = 0; i < o->ndecls; i++)
        if (strcmp(o->decls[i].id, id) == 0)
            return &o->decls[i];
    return NULL;
}

/* Writes one converted component group. */
void
gale_flux_vertex_write(gale_flux_conv_t *c, gale_dslw_t *w,
    gale_flux_comp_t *o)
{
    char *cause = NULL;
    size_t i;

    gale_dslw_printf(w, "  # %s:%d: %s\n", o->node->file, o->node->line,
        o->cls->note);
    for (i = 0; i < o->nnotes; i++)
        gale_dslw_printf(w, "  # %s\n", o->notes[i]);
    gale_dslw_printf(w, "  { id = ");
    gale_dslw_string(w, o->id);
    gale_dslw_printf(w, "; type = \"%s\";", o->cls->type);
    if (o->parallelism > 0)
        gale_dslw_printf(w, " parallelism = %lld;", o->parallelism);
    if (o->tasks > 0)
        gale_dslw_printf(w, " tasks = %lld;", o->tasks);
    gale_dslw_printf(w, "\n");
    if (o->cmd != NULL) {
        gale_dslw_printf(w, "    command = ");
        gale_dslw_value(w, o->cmd, &cause);
        gale_dslw_printf(w, ";\n");
    }
    if (o->env != NULL) {
        gale_dslw_printf(w, "    env = ");
        gale_dslw_value(w, o->env, &cause);
        gale_dslw_printf(w, ";\n");
    }
    if (*o->cls->params != '\0')
        gale_dslw_printf(w, "    %s\n", o->cls->params);
    if (o->params != NULL)
        gale_dslw_printf(w, "    %s\n", gale_dslw_text(o->params));
    if (o->ts_field != NULL) {
        gale_dslw_printf(w, "    timestamp_field = ");
        gale_dslw_string(w, o->ts_field);
        gale_dslw_printf(w, ";\n");
    }
    if (o->late != NULL) {
        gale_dslw_printf(w, "    late_stream = ");
        gale_dslw_string(w, o->late);
        gale_dslw_printf(w, ";\n");
    }
    if (o->cls->from_input != NULL)
        gale_dslw_printf(w, "    %s = \"%s\";\n", o->cls->from_input,
            o->key != NULL ? o->key : "word");
    if (o->wm_field != NULL) {
        gale_dslw_printf(w, "    # Storm computes the watermarks of the "
            "windowed bolts it feeds at their input; gale at the sender\n"
            "    watermark = { field = ");
        gale_dslw_string(w, o->wm_field);
        gale_dslw_printf(w, "; lag_ms = %lld; interval_ms = %lld; };\n",
            o->wm_lag, o->wm_interval);
    }
    for (i = 0; i < o->ndecls; i++) {
        if (strcmp(o->decls[i].id, "default") != 0)
            continue;
        gale_dslw_printf(w, "    fields = ");
        gale_dslw_value(w, o->decls[i].fields, &cause);
        gale_dslw_printf(w, ";%s\n", o->decls[i].direct ?
            " direct = true;  # a DIRECT grouping consumes it" : "");
    }
    if (o->ndecls > (gale_flux_vertex_decl(o, "default") != NULL ? 1u : 0u)) {
        gale_dslw_printf(w, "    streams = (");
        for (i = 0; i < o->ndecls; i++) {
            if (strcmp(o->decls[i].id, "default") == 0)
                continue;
            gale_dslw_printf(w, "%s\n      { id = ", i > 0 &&
                !(i == 1 && strcmp(o->decls[0].id, "default") == 0) ?
                "," : "");
            gale_dslw_string(w, o->decls[i].id);
            gale_dslw_printf(w, "; fields = ");
            gale_dslw_value(w, o->decls[i].fields, &cause);
            gale_dslw_printf(w, ";%s }", o->decls[i].direct ?
                " direct = true;" : "");
        }
        gale_dslw_printf(w, " );\n");
    }
    if (!gale_flux_cfg_empty(&o->cfg)) {
        gale_dslw_printf(w, "    config = {\n");
        gale_flux_cfg_write(c, w, &o->cfg, "      ", o->node);
        gale_dslw_printf(w, "    };\n");
    }
    gale_dslw_printf(w, "  }");
    free(cause);
}
