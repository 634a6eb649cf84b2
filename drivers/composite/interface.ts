export { compositeInterface } from "@jumpstarter/lib/driver";
