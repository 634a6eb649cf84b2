import { nodeUsbBackend } from "@jumpstarter/lib/usb";
const usb = nodeUsbBackend();
console.log(await usb.find(0x04d8, 0xf2f7).catch((e) => "ERR " + e));
