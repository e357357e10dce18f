/** Which terraform (or tofu) binary the acceptance tests run. */
import { accessSync, constants } from "node:fs";
import path from "node:path";

/** The environment variable naming the binary, as in terraform-plugin-testing. */
export const TERRAFORM_PATH_ENV = "TF_ACC_TERRAFORM_PATH";

/** `explicit`, else TF_ACC_TERRAFORM_PATH, else `terraform` then `tofu` on PATH; undefined when there is none. */
export function findTerraform(explicit: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (explicit) return explicit;
  if (env[TERRAFORM_PATH_ENV]) return env[TERRAFORM_PATH_ENV];
  for (const name of ["terraform", "tofu"]) {
    for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
      const file = path.join(dir, process.platform === "win32" ? `${name}.exe` : name);
      try {
        accessSync(file, constants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}
