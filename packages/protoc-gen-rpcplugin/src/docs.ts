/**
 * TSDoc for the declarations made per service: the service's proto comments,
 * a sentence on what the declaration is for, the `@generated` tag and
 * `@deprecated` when the service is.
 */
import type { DescService } from "@bufbuild/protobuf";
import { getComments } from "@bufbuild/protoplugin";

/** The proto comments of `service` (leading, then trailing), as protoplugin's `jsDoc` renders them. */
function commentText(service: DescService): string {
  const { leading, trailing } = getComments(service);
  const parts = [leading, trailing].filter((part): part is string => part !== undefined && part.trim() !== "").map((part) => part.replace(/\n$/, ""));
  return parts
    .join("\n\n")
    .split("\n")
    .map((line) => (line.startsWith(" ") ? line.substring(1) : line))
    .join("\n");
}

/** Doc text for a declaration of `service`: comments, `role`, tags. */
export function serviceDoc(service: DescService, role: string): string {
  const comments = commentText(service);
  const lines = [comments, role, `@generated from service ${service.typeName}`];
  let text = lines.filter((line) => line !== "").join("\n\n");
  if (service.deprecated) text += "\n@deprecated";
  return text;
}
