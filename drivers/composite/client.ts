export { CompositeClient } from "@jumpstarter/lib/client";
