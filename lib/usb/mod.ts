/**
 * USB access for board drivers: the narrow transport (`UsbBackend`, `UsbDevice`), its real
 * implementation over npm `usb` (loaded lazily), and `UsbConnection`, a device found when first
 * used and found again after it was unplugged.
 *
 * @module
 */
export {
  type ControlSetup,
  hexId,
  type UsbBackend,
  type UsbDevice,
  type UsbEndpointDescriptor,
  type UsbInterfaceDescriptor,
  UsbTransferError,
  UsbUnavailableError,
} from "./transport.ts";
export { nodeUsbBackend } from "./node_usb.ts";
export {
  type AlternativeIds,
  type FoundDevice,
  UsbConnection,
  type UsbDeviceMatch,
} from "./connection.ts";
