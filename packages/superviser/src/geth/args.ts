import { SuperviserErrors } from "../errors/index.js";

/** Values for the placeholders of the geth argument template: `{data-dir}`, `{http-port}`, ... */
export type ArgVars = Readonly<Record<string, string>>;

/** Expands `{name}` placeholders in every argument; an unknown placeholder is a coded error. */
export function expandArgs(template: readonly string[], vars: ArgVars): string[] {
  return template.map((arg) =>
    arg.replace(/\{([a-z0-9-]+)\}/g, (_, name: string) => {
      const value = vars[name];
      if (value === undefined) {
        throw SuperviserErrors.prepare("geth", `unknown placeholder {${name}} in argument ${JSON.stringify(arg)}`);
      }
      return value;
    }),
  );
}
