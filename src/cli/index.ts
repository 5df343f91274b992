export { run } from "./main";
